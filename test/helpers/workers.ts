/**
 * `tdcrowd relay --workers 2 --redis URL` for tests: the built CLI as a child process, a real redis-server
 * started once per file (useWorkerMachines), and every process and socket cleaned up after each test.
 *
 * node:cluster hands each new connection to the next worker in turn, so connections opened one after another
 * alternate between the two workers; which worker took one is read from /healthz's per-worker counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { parseMetrics } from './metrics.js';
import { CLI, requireBuiltCli } from './paths.js';
import { Peer } from './peers.js';
import { freePort } from './ports.js';
import { hasRedisServer } from './requirements.js';
import { startRedis, type RedisServer } from './redis.js';
import { until } from './wait.js';

export interface WorkerHealth {
  worker: number;
  pid: number;
  answered: boolean;
  status?: string;
  connections?: { controller: number; sink: number; unknown: number };
  sinks?: number;
}

export interface Health {
  ok: boolean;
  status: string;
  users: number;
  connections: { controller: number; sink: number; unknown: number };
  sinks: { websocket: number };
  worker: { worker: number; pid: number };
  workers: WorkerHealth[];
}

export interface Machine {
  child: ChildProcess;
  port: number;
  url: string;
  pids: number[];
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** /healthz on a connection of its own (so any worker may answer). */
  health(): Promise<Health>;
  /**
   * /healthz over one kept-alive connection (one worker answers, for the whole machine): polling this way
   * opens no new connection, so it does not move node:cluster's turn between the workers.
   */
  healthSameConnection(): Promise<Health>;
  metrics(): Promise<ReturnType<typeof parseMetrics>>;
}

let redis: RedisServer | undefined;
const children: ChildProcess[] = [];
const peers: Peer[] = [];
const agents: Agent[] = [];

/** Call once at the top level of a test file: redis-server for the file, clean-up after each test. */
export function useWorkerMachines(): void {
  beforeAll(async () => {
    requireBuiltCli();
    if (hasRedisServer()) redis = await startRedis(); // without it the files' describes skip, loudly (requirements.ts)
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.terminate();
    for (const a of agents.splice(0)) a.destroy();
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.dispose();
  });
}

export function redisUrl(): string {
  if (redis === undefined) throw new Error('useWorkerMachines() first');
  return redis.url;
}

/** A peer cut after the test. */
export function keep<T extends Peer>(p: T): T {
  peers.push(p);
  return p;
}

/**
 * GET on a fresh connection (no keep-alive), so each request may land on another worker. With a deadline: a
 * connection handed to a worker in the instant it was killed is never answered.
 */
export function getFresh(url: string, timeoutMs = 5000, agent?: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, agent === undefined ? { agent: false, headers: { connection: 'close' } } : { agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
  });
}

export function run(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Machine['exited'] } {
  const child = spawn(process.execPath, [CLI, 'relay', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function startMachine(flags: string[] = []): Promise<Machine> {
  const port = await freePort();
  const r = run(['--workers', '2', '--redis', redisUrl(), '--port', String(port), '--host', '127.0.0.1', '--status-interval', '0', ...flags]);
  const pids = await until(
    () => {
      if (r.child.exitCode !== null) throw new Error(`relay exited ${r.child.exitCode}: ${r.stderr()}`);
      const m = /2 workers \(pids (\d+), (\d+)\)/.exec(r.stdout());
      return m === null ? undefined : [Number(m[1]), Number(m[2])];
    },
    'the workers to start',
    30_000,
  );
  const httpUrl = `http://127.0.0.1:${port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return {
    ...r,
    port,
    url: `ws://127.0.0.1:${port}`,
    pids,
    health: async () => JSON.parse(await getFresh(`${httpUrl}/healthz`)) as Health,
    healthSameConnection: async () => JSON.parse(await getFresh(`${httpUrl}/healthz`, 5000, agent)) as Health,
    metrics: async () => parseMetrics(await getFresh(`${httpUrl}/metrics`)),
  };
}

export async function phone(url: string, id: string, localAddress: string): Promise<{ peer: Peer; answer: string }> {
  const peer = await Peer.open(url, { localAddress });
  peers.push(peer);
  peer.send({ type: 'connect', sliderId: id });
  const m = await peer.waitForMessage((x) => x.type === 'welcome' || x.type === 'error', `an answer for ${id}`);
  return { peer, answer: m.type === 'welcome' ? 'welcome' : String(m.code) };
}

export const controllersOf = (h: Health): number[] => h.workers.map((w) => w.connections?.controller ?? 0);
