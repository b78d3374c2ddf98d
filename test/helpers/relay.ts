/**
 * Relays for tests: in the test's own process (quiet, on a free loopback port, closed after each test), or
 * `tdcrowd relay` as a child process (so it can be SIGKILLed, restarted on its port, and its RSS read from /proc
 * without the test's heap in the figure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { startRelay, type RelayHandle, type RelayOptions } from '../../src/relay/index.js';
import { parseMetrics, type Metrics } from './metrics.js';
import { CLI, requireBuiltCli } from './paths.js';
import type { Peer } from './peers.js';
import { freePort } from './ports.js';
import { until } from './wait.js';

export const QUIET: Partial<RelayOptions> = { port: 0, host: '127.0.0.1', quiet: true };

/** What startQuiet starts: one relay, unless a suite runs again against something else (test/cluster). */
let quietStarter = (options: Partial<RelayOptions>): Promise<RelayHandle> => startRelay({ ...QUIET, ...options });

/** Makes startQuiet start `starter`'s relays (a suite imported again by a cluster variant); call before importing it. */
export function useQuietStarter(starter: (options: Partial<RelayOptions>) => Promise<RelayHandle>): void {
  quietStarter = starter;
}

/** An in-process relay on a free loopback port, no banner. */
export function startQuiet(options: Partial<RelayOptions> = {}): Promise<RelayHandle> {
  return quietStarter(options);
}

/**
 * Per-test clean-up for a test file: relays started and peers kept through it are closed after each test.
 * Call once at the top level of the file.
 */
export function useRelays(): { start: typeof startQuiet; keep: <T extends Peer>(p: T) => T; closeClients: () => void } {
  const relays: RelayHandle[] = [];
  const peers: Peer[] = [];
  const closeClients = (): void => {
    for (const p of peers.splice(0)) p.close();
  };
  afterEach(async () => {
    closeClients();
    for (const r of relays.splice(0)) await r.close();
  });
  return {
    start: async (options) => {
      const r = await startQuiet(options);
      relays.push(r);
      return r;
    },
    keep: (p) => (peers.push(p), p),
    closeClients,
  };
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

/** `tdcrowd relay` as a child process on loopback (on `port`, else a free one); resolves once /healthz answers ok. */
export async function spawnRelay(flags: string[] = [], port?: number): Promise<ChildRelay> {
  requireBuiltCli();
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
