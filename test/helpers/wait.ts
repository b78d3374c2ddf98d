/** Waiting in tests: poll for a condition with a deadline, never a fixed sleep standing in for one. */

/** How often a condition is polled: fast enough that a wait costs little, slow enough for async probes. */
const POLL_MS = 10;

/**
 * Polls `probe` (sync or async) until it yields something other than undefined/false, and returns that; fails
 * with `what` after `timeoutMs`.
 */
export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** A pause that is itself the subject (a quiet period, time for something that must NOT happen). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
