/**
 * `--threads N`: the crowd split over N worker threads of one process, for machines with cores to spare (a
 * thread tops out where the kernel's per-frame send cost does). Each worker runs its own UserPool on its own
 * tick; what it tells the ledger is recorded and flushed to the main thread, where the sink and the one
 * SentLedger live. Stamped mode only: the sink reads seq and t from the frames, so no per-frame lookup has to
 * cross threads.
 *
 * This file is both sides: `ThreadedGenerator` (main thread) and the worker body (when loaded as a worker).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { TickScheduler, type TickStats } from './scheduler.js';
import type { Backlog } from './self-monitor.js';
import type { SentLedger } from './sent-ledger.js';
import { emptyCounters, UserPool, type LedgerWriter, type PoolConfig, type PoolCounters } from './user-pool.js';

type WorkerConfig = Omit<PoolConfig, 'ledger'> & { startEpochMs: number };

/** What a worker posts: ledger changes since the last flush plus its latest counters. */
interface Flush {
  type: 'flush';
  /** User keys (sent-ledger.ts). */
  owned: string[];
  live: Array<[string, boolean]>;
  /** [user key, last seq sent] for users that sent since the last flush. */
  lastSeq: Array<[string, number]>;
  /** [second of the run, updates sent in it]. */
  perSecond: Array<[number, number]>;
  counters: PoolCounters;
  connected: number;
  backlog: Backlog;
  ticks: TickStats;
  lagP99Ms: number;
  final: boolean;
}

type ToWorker = { type: 'start'; startEpochMs: number } | { type: 'stop' } | { type: 'close' };
type FromWorker = Flush | { type: 'ready' } | { type: 'closed' };

const FLUSH_MS = 50;

/** Worker side: records what the pool would have written to the ledger. */
class LedgerRecorder implements LedgerWriter {
  /** User keys, as the ledger files them. */
  owned: string[] = [];
  live: Array<[string, boolean]> = [];
  lastSeq = new Map<string, number>();
  perSecond = new Map<number, number>();

  constructor(public startEpochMs: number) {}

  own(key: string): void {
    this.owned.push(key);
  }

  setLive(key: string, live: boolean): void {
    this.live.push([key, live]);
  }

  sentUpdate(key: string, t: number, seq?: number): number {
    const n = seq ?? (this.lastSeq.get(key) ?? -1) + 1;
    this.lastSeq.set(key, n);
    const sec = Math.max(0, Math.floor((t - this.startEpochMs) / 1000));
    this.perSecond.set(sec, (this.perSecond.get(sec) ?? 0) + 1);
    return n;
  }

  take(): Pick<Flush, 'owned' | 'live' | 'lastSeq' | 'perSecond'> {
    const out = { owned: this.owned, live: this.live, lastSeq: [...this.lastSeq], perSecond: [...this.perSecond] };
    this.owned = [];
    this.live = [];
    this.lastSeq = new Map();
    this.perSecond = new Map();
    return out;
  }
}

function runWorker(config: WorkerConfig): void {
  const port = parentPort!;
  const recorder = new LedgerRecorder(config.startEpochMs);
  const pool = new UserPool({ ...config, ledger: recorder });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const scheduler = new TickScheduler(config.tickMs, (now) => pool.tick(now));
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (final: boolean): void => {
    const msg: Flush = {
      type: 'flush',
      ...recorder.take(),
      counters: pool.counters,
      connected: pool.connected,
      backlog: pool.backlog(),
      ticks: scheduler.stats,
      lagP99Ms: lag.count > 0 ? Math.max(0, lag.percentile(99) / 1e6 - 10) : 0,
      final,
    };
    port.postMessage(msg);
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'start') {
      recorder.startEpochMs = m.startEpochMs;
      lag.enable();
      const now = performance.now();
      pool.start(now);
      scheduler.start(now);
      flushTimer = setInterval(() => flush(false), FLUSH_MS);
    } else if (m.type === 'stop') {
      scheduler.stop();
      pool.stop();
      if (flushTimer) clearInterval(flushTimer);
      flush(true);
    } else if (m.type === 'close') {
      void pool.closeAll().then(() => {
        flush(true);
        port.postMessage({ type: 'closed' } satisfies FromWorker);
        port.close();
      });
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}

interface ThreadState {
  worker: Worker;
  last: Flush | undefined;
  finalSeen: (() => void) | undefined;
}

/** Main side: the Generator the run drives, backed by N workers. */
export class ThreadedGenerator {
  private readonly threads: ThreadState[] = [];


  private constructor(private readonly ledger: SentLedger) {}

  /** Spawns the workers and waits until each is ready to start. */
  static async create(config: Omit<PoolConfig, 'ledger'>, threads: number, ledger: SentLedger): Promise<ThreadedGenerator> {
    const g = new ThreadedGenerator(ledger);
    // Every id a thread may use, churned newcomers included (ids are idBase + n, n counting up).
    ledger.ownRange(config.idBase, config.idBase + 1e9);
    const per = Math.floor(config.users / threads);
    const extra = config.users % threads;
    await Promise.all(
      Array.from({ length: threads }, (_, i) => {
        const users = per + (i < extra ? 1 : 0);
        const wc: WorkerConfig = {
          ...config,
          users,
          churnPerMin: config.churnPerMin / threads,
          userOffset: i,
          userStride: threads,
          totalUsers: config.users,
          startEpochMs: ledger.startMs,
        };
        const worker = new Worker(new URL(import.meta.url), { workerData: wc });
        const state: ThreadState = { worker, last: undefined, finalSeen: undefined };
        g.threads.push(state);
        return new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.on('message', (m: FromWorker) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'flush') g.apply(state, m);
          });
        });
      }),
    );
    return g;
  }

  private apply(t: ThreadState, f: Flush): void {
    const l = this.ledger;
    for (const key of f.owned) l.own(key);
    for (const [key, live] of f.live) l.setLive(key, live);
    for (const [key, seq] of f.lastSeq) l.recordLastSeq(key, seq);
    for (const [sec, n] of f.perSecond) l.addSent(sec, n);
    t.last = f;
    if (f.final) t.finalSeen?.();
  }

  get counters(): PoolCounters {
    const sum = emptyCounters();
    for (const t of this.threads) {
      const c = t.last?.counters;
      if (!c) continue;
      for (const k of Object.keys(sum) as (keyof PoolCounters)[]) {
        const v = c[k];
        if (typeof v === 'number') (sum[k] as number) += v;
      }
      for (const [code, n] of Object.entries(c.closesByCode)) sum.closesByCode[code] = (sum.closesByCode[code] ?? 0) + n;
      for (const [code, n] of Object.entries(c.relayErrors)) sum.relayErrors[code] = (sum.relayErrors[code] ?? 0) + n;
      for (const [addr, n] of Object.entries(c.opensBySource)) sum.opensBySource[addr] = (sum.opensBySource[addr] ?? 0) + n;
      c.updatesByInstance.forEach((n, i) => (sum.updatesByInstance[i] = (sum.updatesByInstance[i] ?? 0) + n));
    }
    return sum;
  }

  get connected(): number {
    return this.threads.reduce((a, t) => a + (t.last?.connected ?? 0), 0);
  }

  /** Tick stats summed over the workers (max lateness is the worst of them). */
  get ticks(): TickStats {
    const out: TickStats = { ticks: 0, lateTicks: 0, skippedTicks: 0, maxLateMs: 0 };
    for (const t of this.threads) {
      const s = t.last?.ticks;
      if (!s) continue;
      out.ticks += s.ticks;
      out.lateTicks += s.lateTicks;
      out.skippedTicks += s.skippedTicks;
      out.maxLateMs = Math.max(out.maxLateMs, s.maxLateMs);
    }
    return out;
  }

  /** Worst event-loop lag p99 among the workers, ms. */
  get workerLagP99Ms(): number {
    return this.threads.reduce((a, t) => Math.max(a, t.last?.lagP99Ms ?? 0), 0);
  }

  start(): void {
    for (const t of this.threads) t.worker.postMessage({ type: 'start', startEpochMs: this.ledger.startMs } satisfies ToWorker);
  }

  /** Workers tick themselves. */
  tick(): void {}

  /** Stops sending and waits for every worker's final ledger flush. */
  async stop(): Promise<void> {
    await Promise.all(
      this.threads.map(
        (t) =>
          new Promise<void>((resolve) => {
            t.finalSeen = resolve;
            t.worker.postMessage({ type: 'stop' } satisfies ToWorker);
          }),
      ),
    );
  }

  backlog(): Backlog {
    let maxBytes = 0;
    let totalBytes = 0;
    for (const t of this.threads) {
      const b = t.last?.backlog;
      if (!b) continue;
      maxBytes = Math.max(maxBytes, b.maxBytes);
      totalBytes += b.totalBytes;
    }
    return { maxBytes, totalBytes };
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      this.threads.map(
        (t) =>
          new Promise<void>((resolve) => {
            t.worker.on('message', (m: FromWorker) => {
              if (m.type === 'closed') resolve();
            });
            t.worker.once('exit', () => resolve());
            t.worker.postMessage({ type: 'close' } satisfies ToWorker);
          }),
      ),
    );
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

if (!isMainThread && (workerData as WorkerConfig | undefined)?.startEpochMs !== undefined) {
  runWorker(workerData as WorkerConfig);
}
