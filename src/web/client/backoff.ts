/**
 * Reconnect delays: exponential growth with "equal jitter" (half fixed, half random), so a crowd of phones
 * that lost the relay at the same instant does not come back in lock-step, and no retry is ever immediate.
 */

export interface BackoffOptions {
  /** Cap of the first delay (the first retry waits between baseMs/2 and baseMs). */
  readonly baseMs: number;
  /** Largest cap, reached after a few failures. */
  readonly maxMs: number;
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 500, maxMs: 10_000, factor: 2 });

/** Delay before retry number `attempt` (0 = first retry). `random` returns [0, 1), as Math.random. */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const cap = Math.min(options.maxMs, options.baseMs * options.factor ** Math.min(n, 64));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(cap / 2 + (r * cap) / 2);
}
