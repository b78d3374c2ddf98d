import type { Timers } from '../../src/web/client/timers.js';

/** A manual clock for the page's injected timers: time moves only when the test says so. */
export class FakeClock implements Timers {
  now = 1_700_000_000_000;
  #next = 1;
  readonly #due = new Map<number, { at: number; callback: () => void; ms: number }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, callback, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** Delays of the timers currently pending, in the order they were set. */
  pendingDelays(): number[] {
    return [...this.#due.values()].map((t) => t.ms);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, t] of this.#due) {
        if (t.at <= end && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const t = this.#due.get(nextId)!;
      this.#due.delete(nextId);
      this.now = t.at;
      t.callback();
    }
    this.now = end;
  }
}
