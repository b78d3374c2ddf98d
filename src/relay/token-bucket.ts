/**
 * Per-connection rate limit. Refilled lazily from the caller's clock, so it costs no timer and no allocation.
 */
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

  /** Takes one token if there is one. `now` in ms from a monotonic clock. */
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
