/**
 * At most one send per animation frame: pointer events can arrive several times per frame (120 Hz touch
 * panels, pens), but the relay and TouchDesigner only need the latest position once per displayed frame.
 *
 * On displays faster than 60 Hz (120/144 Hz phones and monitors) frames are also spaced by at least
 * `minIntervalMs`: TouchDesigner usually cooks at 60 fps, and the relay's default rate limit (120 msg/s per
 * connection) would otherwise start dropping a long drag on a 144 Hz screen.
 */

export type RequestFrame = (callback: () => void) => unknown;

export interface FrameOptions {
  /** Smallest gap between two flushes; a frame that comes sooner defers to the next one. Default 0. */
  minIntervalMs?: number;
  /** Monotonic clock in ms (performance.now in the page). */
  now?: () => number;
}

/** A little under 1000/60, so a 60 Hz display whose frames jitter early still flushes every frame. */
export const SIXTY_HZ_INTERVAL_MS = 15;

export class FrameCoalescer<T> {
  #pending: { value: T } | undefined;
  #scheduled = false;
  #lastFlush = Number.NEGATIVE_INFINITY;
  readonly #requestFrame: RequestFrame;
  readonly #flush: (value: T) => void;
  readonly #minInterval: number;
  readonly #now: () => number;

  constructor(requestFrame: RequestFrame, flush: (value: T) => void, options: FrameOptions = {}) {
    this.#requestFrame = requestFrame;
    this.#flush = flush;
    this.#minInterval = options.minIntervalMs ?? 0;
    this.#now = options.now ?? (() => 0);
  }

  /** Remember the latest value; the next frame flushes it (earlier values of the same frame are dropped). */
  push(value: T): void {
    this.#pending = { value };
    this.#schedule();
  }

  /** Send the pending value now (the page is being hidden: no more frames will come to flush it). */
  flushNow(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) this.#emit(pending.value);
  }

  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#requestFrame(() => {
      this.#scheduled = false;
      if (this.#pending === undefined) return;
      if (this.#now() - this.#lastFlush < this.#minInterval) {
        this.#schedule(); // too soon after the previous send: the next frame takes it
        return;
      }
      const pending = this.#pending;
      this.#pending = undefined;
      this.#emit(pending.value);
    });
  }

  #emit(value: T): void {
    this.#lastFlush = this.#now();
    this.#flush(value);
  }
}
