/**
 * One clock for the sender's `t` and the sink's receive time: epoch milliseconds with sub-millisecond
 * resolution (Date.now() would quantise latency to whole milliseconds).
 */
import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;

export function nowMs(): number {
  return origin + performance.now();
}

/** `t` as sent on the wire: epoch ms to the microsecond, short enough to keep frames small. */
export function stampMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
