import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/simulate/patterns.js';
import { LatencyStats } from '../../src/simulate/stats.js';

describe('LatencyStats (HDR histogram, ms in, ms out)', () => {
  it('is empty until something is recorded', () => {
    const s = new LatencyStats();
    expect(s.summary()).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
    expect(s.bins()).toEqual([]);
    expect(s.percentileMs(99)).toBeNull();
  });

  it('intervalSummary: percentiles of what was recorded since the previous call, the whole run untouched', () => {
    const s = new LatencyStats();
    expect(s.intervalSummary()).toEqual({ count: 0, p50: null, p95: null, p99: null });
    for (let i = 1; i <= 100; i++) s.record(i / 100); // 0.01 .. 1 ms
    const first = s.intervalSummary();
    expect(first).toMatchObject({ count: 100, p50: 0.5, p99: 0.99 });
    expect(s.intervalSummary().count).toBe(0);
    for (let i = 1; i <= 100; i++) s.record(10 + i / 10); // 10.1 .. 20 ms
    const second = s.intervalSummary();
    expect(second.count).toBe(100);
    expect(second.p50!).toBeCloseTo(15, 1);
    expect(second.p99!).toBeCloseTo(19.9, 1);
    expect(s.summary()).toMatchObject({ count: 200, max: 20 });
    expect(s.summary().p50!).toBeCloseTo(1, 1);
  });

  it('reports percentiles within the histogram precision of the exact ones', () => {
    const s = new LatencyStats();
    const rng = createRng(3);
    const samples: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      // A long tail: mostly sub-millisecond, some tens of ms.
      const v = rng() < 0.97 ? rng() * 2 : 5 + rng() * 95;
      samples.push(v);
      s.record(v);
    }
    samples.sort((a, b) => a - b);
    const exact = (p: number): number => samples[Math.ceil((p / 100) * samples.length) - 1]!;
    const sum = s.summary();
    expect(sum.count).toBe(50_000);
    for (const [p, got] of [[50, sum.p50], [95, sum.p95], [99, sum.p99]] as const) {
      expect(Math.abs(got! - exact(p)) / exact(p)).toBeLessThan(0.002);
    }
    expect(Math.abs(sum.max! - samples[samples.length - 1]!)).toBeLessThan(0.1);
    expect(sum.mean!).toBeCloseTo(samples.reduce((a, b) => a + b, 0) / samples.length, 1);
  });

  it('keeps microsecond resolution below a millisecond', () => {
    const s = new LatencyStats();
    s.record(0.123);
    s.record(0.456);
    expect(s.summary().p50).toBeCloseTo(0.123, 3);
    expect(s.summary().max).toBeCloseTo(0.456, 3);
  });

  it('bins add up to the count, cover the samples and are ordered', () => {
    const s = new LatencyStats();
    for (const v of [0.005, 0.2, 0.3, 1, 1.1, 12, 250, 250, 4000]) s.record(v);
    const bins = s.bins();
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(9);
    for (let i = 1; i < bins.length; i++) expect(bins[i]!.fromMs).toBe(bins[i - 1]!.toMs);
    expect(bins[0]!.fromMs).toBeLessThanOrEqual(0.005);
    expect(bins[bins.length - 1]!.toMs).toBeGreaterThan(4000);
    const binOf = (v: number) => bins.find((b) => v >= b.fromMs && v < b.toMs)!;
    expect(binOf(250).count).toBe(2);
  });

  it('clamps negative samples to zero and counts them', () => {
    const s = new LatencyStats();
    s.record(-3);
    s.record(Number.NaN);
    s.record(2);
    expect(s.negative).toBe(2);
    expect(s.count).toBe(3);
    expect(s.summary().p50).toBe(0);
  });
});
