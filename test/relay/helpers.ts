/**
 * Shared helpers for the relay's integration tests: a real `ws` client that records what it receives, and
 * polling waits (no fixed sleeps).
 */
import { afterEach } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { startRelay, type RelayHandle, type RelayOptions } from '../../src/relay/index.js';

export const QUIET: Partial<RelayOptions> = { port: 0, host: '127.0.0.1', quiet: true };

export function start(options: Partial<RelayOptions> = {}): Promise<RelayHandle> {
  return startRelay({ ...QUIET, ...options });
}

/**
 * Per-test clean-up for a test file: relays started and clients kept through it are closed after each test.
 * Call once at the top level of the file.
 */
export function useRelays(): { start: typeof start; keep: <T extends Client>(c: T) => T; closeClients: () => void } {
  const relays: RelayHandle[] = [];
  const clients: Client[] = [];
  const closeClients = (): void => {
    for (const c of clients.splice(0)) c.close();
  };
  afterEach(async () => {
    closeClients();
    for (const r of relays.splice(0)) await r.close();
  });
  return {
    start: async (options) => {
      const r = await start(options);
      relays.push(r);
      return r;
    },
    keep: (c) => (clients.push(c), c),
    closeClients,
  };
}

/** Polls `probe` until it returns something other than undefined/false, or fails with `what`. */
export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type Json = Record<string, unknown>;

export class Client {
  /** Every text frame received, decoded when it is JSON (else the raw string). */
  readonly received: unknown[] = [];
  /** WebSocket-level pings received (the relay's heartbeat). */
  pings = 0;
  closeCode: number | undefined;
  closeReason: string | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary>` : (data as Buffer).toString();
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch {
        // bare "ping"/"pong" and anything else stays a string
      }
      this.received.push(value);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve();
      });
    });
    ws.on('ping', () => {
      this.pings++;
    });
    ws.on('error', () => undefined);
  }

  static async open(url: string, options?: ClientOptions): Promise<Client> {
    const ws = new WebSocket(url, options);
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  send(message: Json | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** JSON messages received (keep-alive strings left out). */
  get messages(): Json[] {
    return this.received.filter((m): m is Json => typeof m === 'object' && m !== null);
  }

  ofType(type: string): Json[] {
    return this.messages.filter((m) => (m.type ?? 'update') === type);
  }

  /** Waits for a JSON message matching `predicate` and returns it. */
  waitFor(predicate: (m: Json) => boolean, what: string, timeoutMs?: number): Promise<Json> {
    return waitFor(() => this.messages.find(predicate), what, timeoutMs);
  }

  async waitClosed(what = 'the connection to close', timeoutMs = 10_000): Promise<void> {
    await Promise.race([
      this.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs).unref()),
    ]);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/** A controller that has claimed `id` (waited for its welcome). */
export async function controller(relay: RelayHandle, id: number | string, resume?: string): Promise<Client> {
  const c = await Client.open(relay.url);
  c.send(resume === undefined ? { type: 'connect', sliderId: id } : { type: 'connect', sliderId: id, resume });
  await c.waitFor((m) => m.type === 'welcome', `welcome for ${id}`);
  return c;
}

/** A sink the relay has admitted (waited until the relay counts one more sink). */
export async function sink(relay: RelayHandle, hello: Json = {}): Promise<Client> {
  const before = relay.metrics().connections.sink;
  const c = await Client.open(relay.url);
  c.send({ type: 'hello', role: 'sink', ...hello });
  await waitFor(() => relay.metrics().connections.sink > before, 'the sink to be admitted');
  return c;
}

export function update(id: number | string, x: number, y = 0, extra: Json = {}): Json {
  const speed = Math.min(100, (Math.hypot(x, y) / 170) * 100);
  let angle = (Math.atan2(-y, x) * 180) / Math.PI;
  angle = angle < 0 ? angle + 360 : angle + 0; // + 0 turns -0 into 0 (JSON has no -0)
  return { x, y, speed, angle, sliderId: id, ...extra };
}

/** Applies what a sink received to a table: one row per user, as TouchDesigner keeps it. */
export function table(messages: Json[]): Map<string, Json> {
  const rows = new Map<string, Json>();
  const apply = (m: Json): void => {
    const key = String(m.sliderId);
    switch (m.type ?? 'update') {
      case 'connect':
        if (!rows.has(key)) rows.set(key, {});
        break;
      case 'update':
        rows.set(key, m);
        break;
      case 'delete':
        rows.delete(key);
        break;
      case 'batch':
        for (const inner of m.messages as Json[]) apply(inner);
        break;
      default:
    }
  };
  for (const m of messages) apply(m);
  return rows;
}

export async function fetchText(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** Reads one sample from Prometheus text, e.g. metric(text, 'tdcrowd_dropped_total{reason="binary"}'). */
export function metric(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
