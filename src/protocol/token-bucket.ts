/**
 * The per-connection rate limit (docs/protocol.md, "Limits"): a token bucket refilled at `rate` per second up to
 * `burst`. The relay enforces it on its monotonic clock; the validator replays it over a log's timestamps.
 * Refilled lazily from the caller's clock, so it costs no timer and no allocation.
 */

/** Messages per second one connection may send (the relay's default, and what the validator checks against). */
export const DEFAULT_RATE = 120;
/** Messages one connection may send at once. */
export const DEFAULT_BURST = 240;

/** A usable rate: a finite number above 0. */
export function isValidRate(rate: unknown): rate is number {
  return typeof rate === 'number' && Number.isFinite(rate) && rate > 0;
}

/** A usable burst: a finite number of at least 1 (a bucket that never holds a whole token lets nothing through). */
export function isValidBurst(burst: unknown): burst is number {
  return typeof burst === 'number' && Number.isFinite(burst) && burst >= 1;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.perMs = rate / 1000;
    this.tokens = burst;
    this.last = now;
  }

  /**
   * Takes one token if there is one. `now` in ms; a clock that steps back refills nothing (and drains nothing).
   * A frame over the limit takes no token.
   */
  take(now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perMs);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
