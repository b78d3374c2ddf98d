/** Clean-up after each test of a file (or of a describe block, when called inside one). */
import { afterEach } from 'vitest';

export interface Cleanups {
  /** Registers a step: it runs after the current test, the last registered first. */
  push(step: () => unknown): void;
}

/**
 * Every step runs even when one before it fails: a failed test must not hide behind its clean-up, nor leave
 * relays and sockets running into the next test.
 */
export function useCleanups(): Cleanups {
  const steps: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // best effort
      }
    }
  });
  return { push: (step) => void steps.push(step) };
}
