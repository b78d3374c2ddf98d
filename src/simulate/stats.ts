/**
 * Latency distribution on an HDR histogram (hdr-histogram-js): constant memory and O(1) recording however many
 * millions of samples a run takes. Values are recorded in microseconds so sub-millisecond loopback latencies
 * keep their resolution; everything leaving this module is in milliseconds.
 */
import { build, type Histogram, type JsHistogram } from 'hdr-histogram-js';

export interface LatencySummary {
  /** Samples recorded. */
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** One bar of the latency histogram, [fromMs, toMs). */
export interface LatencyBin {
  fromMs: number;
  toMs: number;
  count: number;
}

/** Latency of the samples recorded in one second of the run (null percentiles: none arrived then). */
export interface SecondLatency {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** One hour in µs: anything slower is clamped (and still counted) rather than thrown away. */
const HIGHEST_US = 3_600_000_000;

function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

export class LatencyStats {
  private readonly histogram = newHistogram();
  /** The whole histogram as it was when the last interval closed (intervalSummary). */
  private closed: Histogram | undefined;
  private scratch: Histogram | undefined;
  /** Samples below zero (sender clock ahead of ours): recorded as 0, counted so a clock problem is visible. */
  negative = 0;

  record(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us >= 0)) {
      this.negative++;
      us = 0;
    } else if (us > HIGHEST_US) us = HIGHEST_US;
    this.histogram.recordValue(us);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentileMs(p: number): number | null {
    if (this.histogram.totalCount === 0) return null;
    return roundMs(this.histogram.getValueAtPercentile(p) / 1000);
  }

  /**
   * Percentiles of the samples recorded since the previous call, for latency over time. Taken as the difference
   * of the whole histogram and a copy of it at the previous call, so recording stays one recordValue per sample
   * (a second histogram per second would double it: hdr-histogram-js records in ~110 ns, the sink's hottest
   * line). Costs a few passes over the counts array (~24 k slots) per call, once a second.
   */
  intervalSummary(): SecondLatency {
    const closed = (this.closed ??= newHistogram());
    const interval = (this.scratch ??= newHistogram());
    interval.reset();
    interval.add(this.histogram);
    interval.subtract(closed);
    closed.add(interval);
    const n = interval.totalCount;
    if (n === 0) return { count: 0, p50: null, p95: null, p99: null };
    const at = (p: number): number => roundMs(interval.getValueAtPercentile(p) / 1000);
    return { count: n, p50: at(50), p95: at(95), p99: at(99) };
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
    return {
      count: h.totalCount,
      p50: roundMs(h.getValueAtPercentile(50) / 1000),
      p95: roundMs(h.getValueAtPercentile(95) / 1000),
      p99: roundMs(h.getValueAtPercentile(99) / 1000),
      max: roundMs(h.maxValue / 1000),
      mean: roundMs(h.mean / 1000),
    };
  }

  /**
   * Counts in logarithmic bins (`perDecade` bins per factor of ten) from the histogram's own buckets, for the
   * HTML report's bar chart. Empty leading and trailing bins are trimmed.
   */
  bins(perDecade = 10): LatencyBin[] {
    const h = this.histogram as JsHistogram;
    if (h.totalCount === 0) return [];
    const counts = new Map<number, number>();
    for (let i = 0; i < h.countsArrayLength; i++) {
      const c = h.getCountAtIndex(i);
      if (c === 0) continue;
      const us = h.valueFromIndex(i);
      // Bin 0 holds everything under 10 µs; then perDecade bins per decade.
      const b = us < 10 ? 0 : Math.floor((Math.log10(us) - 1) * perDecade) + 1;
      counts.set(b, (counts.get(b) ?? 0) + c);
    }
    const keys = [...counts.keys()];
    const lo = Math.min(...keys);
    const hi = Math.max(...keys);
    const edgeMs = (b: number): number => (b === 0 ? 0 : roundMs(10 ** ((b - 1) / perDecade + 1) / 1000));
    const out: LatencyBin[] = [];
    for (let b = lo; b <= hi; b++) out.push({ fromMs: edgeMs(b), toMs: edgeMs(b + 1), count: counts.get(b) ?? 0 });
    return out;
  }
}

/** Milliseconds to three decimals (µs resolution): what every report prints. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
