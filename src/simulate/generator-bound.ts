/**
 * Whether the simulator itself was the bottleneck. A latency or a loss is only the relay's if the generator
 * sent on time and its own event loop (where the sink reads too) kept up; otherwise the run is flagged
 * `generatorBound`, with the reasons, instead of blaming the relay.
 */
import type { ReportInput } from './report-input.js';
import { pct, round } from './report-numbers.js';
import type { PoolCounters } from './user-pool.js';

/**
 * A run is generator-bound when it could not send at least this share of what was due on time. 98 %: since a
 * pass over the crowd stops at its time budget, a generator falling behind no longer shows as event-loop lag;
 * at 3000 users × 30 Hz it sent 95.3 % (86 000 of 90 000 msg/s) with a calm loop, which 95 % let pass.
 */
export const MIN_ON_TIME_SHARE = 0.98;
/** ...or when its own event loop lagged this much at p99 (every latency it measured is inflated by it). */
export const MAX_LAG_P99_MS = 25;
/** ...or when it used this much of its single core. */
export const MAX_CPU_PERCENT = 90;

/** Share of the updates due that went out on time (null: none were due). */
export function onTimeShare(c: PoolCounters): number | null {
  return c.scheduled > 0 ? round(1 - c.missedLate / c.scheduled, 6) : null;
}

/** Why the run is generator-bound; empty when it is not. */
export function generatorBoundReasons(input: Pick<ReportInput, 'counters' | 'self' | 'threads' | 'workerLagP99Ms'>): string[] {
  const { counters: c, self } = input;
  const share = onTimeShare(c);
  const reasons: string[] = [];
  if (share !== null && share < MIN_ON_TIME_SHARE) {
    reasons.push(`sent only ${pct(share)} of the updates due on time (${c.missedLate} missed by late ticks; bar ${pct(MIN_ON_TIME_SHARE)})`);
  }
  if (self.eventLoopLagMs.p99 > MAX_LAG_P99_MS) {
    reasons.push(`event-loop lag p99 ${self.eventLoopLagMs.p99} ms > ${MAX_LAG_P99_MS} ms: latencies measured here include that lag`);
  }
  const workerLag = input.workerLagP99Ms ?? 0;
  if (workerLag > MAX_LAG_P99_MS) reasons.push(`a generator thread's event-loop lag p99 was ${round(workerLag, 3)} ms > ${MAX_LAG_P99_MS} ms`);
  // With worker threads the process may use several cores; saturation then shows as lag, not as CPU > 1 core.
  if (input.threads === 1 && self.cpu.percentOfCore > MAX_CPU_PERCENT) {
    reasons.push(`CPU ${self.cpu.percentOfCore}% of one core > ${MAX_CPU_PERCENT}%: the simulator process was saturated`);
  } else if (input.threads === 1 && reasons.length > 0 && self.cpu.percentOfCore < 0.75 * MAX_CPU_PERCENT) {
    // Busy loop but little CPU used: the process was waiting for a core other processes held.
    reasons.push(`the process got only ${self.cpu.percentOfCore}% of a core while behind: the machine was oversubscribed by other processes`);
  }
  return reasons;
}
