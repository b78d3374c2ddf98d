/**
 * At most one send per animation frame: pointer events can arrive several times per frame (120 Hz touch
 * panels, pens), but the relay and TouchDesigner only need the latest position once per displayed frame.
 */

export type RequestFrame = (callback: () => void) => unknown;

export class FrameCoalescer<T> {
  #pending: { value: T } | undefined;
  #scheduled = false;
  readonly #requestFrame: RequestFrame;
  readonly #flush: (value: T) => void;

  constructor(requestFrame: RequestFrame, flush: (value: T) => void) {
    this.#requestFrame = requestFrame;
    this.#flush = flush;
  }

  /** Remember the latest value; the next frame flushes it (earlier values of the same frame are dropped). */
  push(value: T): void {
    this.#pending = { value };
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#requestFrame(() => {
      this.#scheduled = false;
      const pending = this.#pending;
      this.#pending = undefined;
      if (pending) this.#flush(pending.value);
    });
  }

  /** Send the pending value now (the page is being hidden: no more frames will come to flush it). */
  flushNow(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) this.#flush(pending.value);
  }

  get hasPending(): boolean {
    return this.#pending !== undefined;
  }
}
