/**
 * What the reliability suites share: a relay in a child process (so it can be SIGKILLed and its RSS read from
 * /proc without the test's own heap in the figure), Prometheus parsing, raw `ws` peers, polling, and the
 * figures file the README's "Reliability" section is written from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, type ClientOptions } from 'ws';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Polls `probe` (sync or async) until it yields something other than undefined/false. */
export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on right now (the relay is then started on it, and restarted on it). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Samples a process's RSS until stopped; `peak` is the largest sample. */
export class RssSampler {
  peak = 0;
  readonly samples: number[] = [];
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number, everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    try {
      const v = rssMiB(this.pid);
      this.samples.push(v);
      this.peak = Math.max(this.peak, v);
      return v;
    } catch {
      return 0; // the process is gone
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export interface ChildRelay {
  readonly port: number;
  readonly url: string;
  readonly httpUrl: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  metrics(): Promise<Metrics>;
  /** SIGTERM and wait (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** `tdcrowd relay` as a child process on loopback; resolves once /healthz answers ok. */
export async function spawnRelay(flags: string[] = [], port?: number): Promise<ChildRelay> {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
  const p = port ?? (await freePort());
  const proc = spawn(process.execPath, [CLI, 'relay', '--port', String(p), '--host', '127.0.0.1', '--quiet', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const httpUrl = `http://127.0.0.1:${p}`;
  await until(
    async () => {
      if (gone) throw new Error(`relay exited on start: ${out}`);
      try {
        const res = await fetch(`${httpUrl}/healthz`);
        return res.ok && ((await res.json()) as { ok?: boolean }).ok === true;
      } catch {
        return false;
      }
    },
    'the relay child to answer /healthz',
    20_000,
  );
  return {
    port: p,
    url: `ws://127.0.0.1:${p}`,
    httpUrl,
    proc,
    exited,
    output: () => out,
    metrics: async () => parseMetrics(await (await fetch(`${httpUrl}/metrics`)).text()),
    stop: async () => {
      if (gone) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface Metrics {
  text: string;
  messagesIn: number;
  messagesOut: number;
  dropped: Record<string, number>;
  connections: Record<string, number>;
  users: number;
  get(series: string): number | undefined;
}

export function parseMetrics(text: string): Metrics {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  const labelled = (name: string, label: string): Record<string, number> => {
    const out: Record<string, number> = {};
    const re = new RegExp(`^${name}\\{${label}="([^"]*)"\\}$`);
    for (const [k, v] of samples) {
      const m = re.exec(k);
      if (m) out[m[1]!] = v;
    }
    return out;
  };
  return {
    text,
    messagesIn: samples.get('tdcrowd_messages_in_total') ?? NaN,
    messagesOut: samples.get('tdcrowd_messages_out_total') ?? NaN,
    dropped: labelled('tdcrowd_dropped_total', 'reason'),
    connections: labelled('tdcrowd_connections', 'role'),
    users: samples.get('tdcrowd_users') ?? NaN,
    get: (series) => samples.get(series),
  };
}

/** A raw `ws` peer recording text frames (JSON decoded when possible), close code and reason. */
export class Peer {
  readonly frames: unknown[] = [];
  readonly texts: string[] = [];
  binaries = 0;
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<void>;
  readonly opened: Promise<void>;
  onText: ((text: string) => void) | undefined;

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binaries++;
        return;
      }
      const text = (data as Buffer).toString();
      this.texts.push(text);
      let v: unknown = text;
      try {
        v = JSON.parse(text);
      } catch {
        // keep-alive strings stay strings
      }
      this.frames.push(v);
      this.onText?.(text);
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((r) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        r();
      }),
    );
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
  }

  readonly ws: WebSocket;

  static async open(url: string, options?: ClientOptions): Promise<Peer> {
    const p = new Peer(url, options);
    await p.opened;
    return p;
  }

  get messages(): Record<string, unknown>[] {
    return this.frames.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m));
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.messages.filter((m) => (m.type ?? 'update') === type);
  }

  send(m: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Sends bytes as a text frame without validating them (how invalid UTF-8 reaches a server). */
  sendRawText(bytes: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: false });
  }

  get socket(): import('node:net').Socket {
    return (this.ws as unknown as { _socket: import('node:net').Socket })._socket;
  }

  waitClosed(timeoutMs = 15_000): Promise<void> {
    return until(() => this.closeCode !== undefined, 'the connection to close', timeoutMs).then(() => undefined);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** A controller that claimed `id` (waited for its welcome). */
export async function claim(url: string, id: string | number, options?: ClientOptions): Promise<{ peer: Peer; resume: string }> {
  const peer = await Peer.open(url, options);
  peer.send({ type: 'connect', sliderId: id });
  const w = await until(() => peer.messages.find((m) => m.type === 'welcome'), `welcome for ${id}`);
  return { peer, resume: String(w.resume) };
}

/** The latest update per user from a sink's frames (batches unpacked, deletes remove). */
export function tableOf(messages: Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const rows = new Map<string, Record<string, unknown>>();
  const apply = (m: Record<string, unknown>): void => {
    const key = String(m.sliderId);
    const type = m.type ?? 'update';
    if (type === 'connect') {
      if (!rows.has(key)) rows.set(key, {});
    } else if (type === 'update') rows.set(key, m);
    else if (type === 'delete') rows.delete(key);
    else if (type === 'batch') for (const inner of m.messages as Record<string, unknown>[]) apply(inner);
  };
  for (const m of messages) apply(m);
  return rows;
}

export function updateFor(id: string | number, x: number, y: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const speed = Math.min(100, (Math.hypot(x, y) / 170) * 100);
  let angle = (Math.atan2(-y, x) * 180) / Math.PI;
  angle = angle < 0 ? angle + 360 : angle + 0;
  return { x, y, speed, angle, sliderId: id, ...extra };
}

/** Figures for the README's "Reliability" section: one JSON file per suite under test-artifacts/reliability/. */
export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  const dir = join(ROOT, 'test-artifacts', 'reliability');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first figures of this run
  }
  writeFileSync(file, `${JSON.stringify({ ...previous, ...figures, recordedAt: new Date().toISOString() }, null, 2)}\n`);
}
