/**
 * The crowd the send phase drives: virtual users on this thread (UserPool), on worker threads
 * (ThreadedGenerator), or a relay log played back (ReplayRunner). All three look the same to the run.
 */
import type { SimulateOptions } from './options.js';
import type { ReplayPlan } from './replay.js';
import { ReplayRunner } from './replay.js';
import type { TickStats } from './scheduler.js';
import type { Backlog } from './self-monitor.js';
import type { SentLedger } from './sent-ledger.js';
import type { Target } from './instances.js';
import { ThreadedGenerator } from './generator-thread.js';
import { UserPool, type PoolCounters } from './user-pool.js';

export interface Generator {
  readonly counters: PoolCounters;
  readonly connected: number;
  /** Tick statistics when the generator runs its own schedulers (worker threads); else the run's scheduler has them. */
  readonly ticks?: TickStats;
  /** With worker threads: the worst event-loop lag p99 among them, ms. */
  readonly workerLagP99Ms?: number;
  start(startMs: number): void;
  tick(now: number): void;
  stop(): void | Promise<void>;
  closeAll(): Promise<void>;
  backlog(): Backlog;
}

export interface Crowd {
  generator: Generator;
  /** Set when replaying a log: the send phase ends when it has played out. */
  replay: ReplayRunner | undefined;
}

/** Builds the crowd (worker threads, once spawned, must be shut down: call after the sink is admitted). */
export async function createCrowd(o: SimulateOptions, ledger: SentLedger, replayPlan: ReplayPlan | undefined, targets: Target[]): Promise<Crowd> {
  if (replayPlan) {
    const replay = new ReplayRunner(replayPlan, targets, ledger, o.durationS === undefined ? undefined : o.durationS * 1000, o.tls);
    return { generator: replay, replay };
  }
  const poolConfig = {
    targets,
    users: o.users,
    rate: o.rate,
    rampS: o.rampS,
    pattern: o.pattern,
    churnPerMin: o.churnPerMin,
    idleDelete: o.idleDelete,
    idleAfterS: o.idleAfterS,
    seed: o.seed,
    idBase: o.idBase,
    legacy: o.legacy,
    tickMs: o.tickMs,
    tls: o.tls,
  };
  if (o.threads > 1) return { generator: await ThreadedGenerator.create(poolConfig, o.threads, ledger), replay: undefined };
  return { generator: new UserPool({ ...poolConfig, ledger }), replay: undefined };
}
