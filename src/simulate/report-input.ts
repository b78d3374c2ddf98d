/** Everything a run hands to the report: the measurements of each phase, before any judgement. */
import type { SinkSummary } from './measuring-sink.js';
import type { SimulateOptions } from './options.js';
import type { ReplayTiming } from './replay.js';
import type { TickStats } from './scheduler.js';
import type { SelfReport } from './self-monitor.js';
import type { Presence } from './settle.js';
import type { SourcePlan } from './source-addresses.js';
import type { PoolCounters } from './user-pool.js';

export interface ReportInput {
  options: SimulateOptions;
  startedAt: Date;
  sendSeconds: number;
  measurement: 'stamped' | 'matched' | 'none';
  sent: number;
  sentPerSecond: (s: number) => number;
  seconds: number;
  /** What the sink measured and the presence check after the grace period (no sink: undefined). */
  sink: (SinkSummary & Presence) | undefined;
  counters: PoolCounters;
  sources: SourcePlan;
  /** Instances (URLs) whose admission probe never reached the sink (admit.ts). */
  unreachedInstances?: string[];
  /** Virtual users with an open socket when sending stopped. */
  connectedAtEnd: number;
  ticks: TickStats;
  threads: number;
  /** With --threads: the worst event-loop lag p99 among the generator threads. */
  workerLagP99Ms: number | undefined;
  self: SelfReport;
  replay: (ReplayTiming & { frames: number; connections: number }) | undefined;
}
