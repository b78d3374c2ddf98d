/**
 * The primary of `relay --workers N` (README, "Several cores: --workers"): forks N workers (worker.ts) that run
 * the normal relay on one shared port (node:cluster hands each new connection to a worker in turn), gives them
 * the options it resolved once (one `--sink-token auto` token for all), prints one banner, counts per-address
 * places for the whole machine (address-ledger.ts), gathers every worker's /healthz and /metrics for whichever
 * worker took the request, replaces a worker that dies, and on SIGINT/SIGTERM closes every worker in order.
 *
 * The primary holds no client connection itself: it only forwards accepted sockets and answers the workers.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../../version.js';
import { accessWarnings } from '../access-warnings.js';
import { renderBanner } from '../banner.js';
import type { RelayOptions } from '../options.js';
import { RelayStartError } from '../relay.js';
import { MachineAddressLedger } from './address-ledger.js';
import { isOurs, type Gathered, type ToPrimary, type ToWorker, type WorkerReport } from './messages.js';
import { workerOptions } from './plan.js';

/** How long the primary waits for each worker's own answer when gathering the machine's. */
const REPORT_TIMEOUT_MS = 2000;
/** How long workers get to close their clients in order before they are killed. */
const SHUTDOWN_GRACE_MS = 10_000;
/** A worker that keeps dying is restarted after 0.1, 0.2, 0.4 … s, at most this long. */
const RESTART_MAX_DELAY_MS = 10_000;
/** Deaths further apart than this do not add to the delay. */
const RESTART_WINDOW_MS = 60_000;

export interface PrimaryOptions {
  /** The token was generated (`--sink-token auto`): print it once, even with --quiet. */
  printToken: boolean;
}

interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  ready: boolean;
  /** When this slot's workers died lately (restart back-off). */
  deaths: number[];
}

interface Gathering {
  from: Worker;
  req: number;
  what: Gathered;
  reports: Map<number, WorkerReport>;
  waiting: Set<number>;
  timer: NodeJS.Timeout;
}

export async function runPrimary(options: RelayOptions, count: number, how: PrimaryOptions): Promise<void> {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker.js', import.meta.url)), args: [] });
  const ledger = new MachineAddressLedger(options.maxPerAddress);
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ id: i + 1, worker: undefined, ready: false, deaths: [] }));
  const gatherings = new Map<number, Gathering>();
  let nextGathering = 1;
  let stopping = false;
  /** As bound (with --port 0 every worker gets the same port from the primary's one listening handle). */
  let port = options.port;
  let started = false;
  let startFailed: ((err: Error) => void) | undefined;
  let allReady: (() => void) | undefined;

  const tell = (w: Worker | undefined, m: ToWorker): void => {
    if (w !== undefined && w.isConnected()) w.send(m);
  };

  function finishGathering(key: number): void {
    const g = gatherings.get(key);
    if (g === undefined) return;
    gatherings.delete(key);
    clearTimeout(g.timer);
    const reports = slots.map((s) => g.reports.get(s.id) ?? { worker: s.id, pid: s.worker?.process.pid ?? 0, body: undefined });
    tell(g.from, { tdcrowd: 1, t: 'gathered', req: g.req, reports });
  }

  function gather(from: Worker, req: number, what: Gathered): void {
    const key = nextGathering++;
    const live = slots.filter((s) => s.ready && s.worker?.isConnected());
    const g: Gathering = {
      from,
      req,
      what,
      reports: new Map(),
      waiting: new Set(live.map((s) => s.id)),
      timer: setTimeout(() => finishGathering(key), REPORT_TIMEOUT_MS),
    };
    gatherings.set(key, g);
    for (const s of live) tell(s.worker, { tdcrowd: 1, t: 'report', req: key, what });
    if (g.waiting.size === 0) finishGathering(key);
  }

  function onMessage(slot: Slot, w: Worker, m: unknown): void {
    if (!isOurs<ToPrimary>(m) || slot.worker !== w) return;
    switch (m.t) {
      case 'up':
        tell(w, { tdcrowd: 1, t: 'start', worker: slot.id, options: workerOptions(options, slot.id) });
        return;
      case 'ready':
        slot.ready = true;
        port = m.port;
        if (!started && slots.every((s) => s.ready)) allReady?.();
        return;
      case 'fatal':
        if (!started) startFailed?.(new RelayStartError(m.message, undefined));
        else process.stderr.write(`tdcrowd relay: worker ${slot.id} could not start: ${m.message}\n`);
        return;
      case 'gather':
        gather(w, m.req, m.what);
        return;
      case 'report': {
        const g = gatherings.get(m.req);
        if (g === undefined) return;
        g.reports.set(slot.id, { worker: slot.id, pid: w.process.pid ?? 0, body: m.body });
        g.waiting.delete(slot.id);
        if (g.waiting.size === 0) finishGathering(m.req);
        return;
      }
      case 'acquire': {
        const grant = ledger.acquire(slot.id, m.key);
        tell(w, { tdcrowd: 1, t: 'lease', req: m.req, key: m.key, ...grant });
        return;
      }
      case 'release':
        ledger.release(slot.id, m.key, m.unidentified, m.controller);
        return;
    }
  }

  function fork(slot: Slot): void {
    const w = cluster.fork();
    slot.worker = w;
    slot.ready = false;
    w.on('message', (m: unknown) => onMessage(slot, w, m));
    w.on('exit', (code, signal) => onExit(slot, w, code, signal));
    // A send racing the worker's death fails with EPIPE or a closed channel: its exit is handled above.
    w.on('error', () => undefined);
  }

  function onExit(slot: Slot, w: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== w) return;
    slot.worker = undefined;
    slot.ready = false;
    // Whatever its connections held is free: they are gone with it.
    ledger.workerGone(slot.id);
    for (const [key, g] of gatherings) {
      if (g.waiting.delete(slot.id) && g.waiting.size === 0) finishGathering(key);
    }
    if (stopping) return;
    const how = signal === null ? `code ${code}` : signal;
    if (!started) {
      startFailed?.(new RelayStartError(`worker ${slot.id} exited while starting (${how})`, undefined));
      return;
    }
    const now = Date.now();
    slot.deaths = [...slot.deaths.filter((t) => now - t < RESTART_WINDOW_MS), now];
    const delay = Math.min(RESTART_MAX_DELAY_MS, 100 * 2 ** (slot.deaths.length - 1));
    process.stderr.write(`tdcrowd relay: worker ${slot.id} (pid ${w.process.pid}) exited (${how}); starting another in ${delay / 1000} s\n`);
    setTimeout(() => {
      if (!stopping) fork(slot);
    }, delay);
  }

  let stopped: Promise<void> | undefined;
  function stopAll(): Promise<void> {
    stopped ??= (async () => {
      stopping = true;
      const live = slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && !w.isDead());
      const exits = live.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
      for (const w of live) tell(w, { tdcrowd: 1, t: 'shutdown' });
      const kill = setTimeout(() => {
        for (const w of live) if (!w.isDead()) w.process.kill('SIGKILL');
      }, SHUTDOWN_GRACE_MS);
      await Promise.all(exits);
      clearTimeout(kill);
    })();
    return stopped;
  }

  const shutdown = (signal: string): void => {
    if (stopping) return;
    process.stderr.write(`tdcrowd relay: ${signal}, closing connections on ${count} workers\n`);
    void stopAll().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  try {
    await new Promise<void>((resolve, reject) => {
      allReady = resolve;
      startFailed = reject;
      for (const s of slots) fork(s);
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  started = true;
  if (!options.quiet) {
    const banner = await renderBanner({
      host: options.host,
      port,
      mode: options.mode,
      version: VERSION,
      sinkToken: options.sinkToken !== undefined,
      log: options.log === undefined ? undefined : `${workerOptions(options, 1).log} … (one file per worker)`,
      tty: process.stdout.isTTY === true,
      osc: options.osc.map((t) => `${t.host}:${t.port}`),
    });
    process.stdout.write(banner);
    for (const warning of accessWarnings(options)) process.stdout.write(`warning: ${warning}\n`);
  }
  const pids = slots.map((s) => s.worker?.process.pid).join(', ');
  if (!options.quiet) process.stdout.write(`${count} workers (pids ${pids}) sharing port ${port}, joined through Redis at ${redisHost(options.redis)}\n`);
  if (how.printToken) process.stdout.write(`sink token: ${options.sinkToken} (generate the callbacks with --sink-token ${options.sinkToken})\n`);
}

/** Where Redis is, without the password a redis:// URL may carry. */
function redisHost(url: string | undefined): string {
  try {
    return new URL(url ?? '').host || 'the --redis URL';
  } catch {
    return 'the --redis URL';
  }
}
