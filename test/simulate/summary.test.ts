/** The terminal summary fits 80 columns whatever the values, and still says everything the report says. */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SimulationReport } from '../../src/simulate/index.js';
import { formatSummary, SUMMARY_COLUMNS } from '../../src/simulate/summary.js';
import { syntheticReport } from './helpers/synthetic-report.js';

/** Columns per line: every character here (ASCII, box drawing, ×) takes one. */
function widths(text: string): number[] {
  return text.trimEnd().split('\n').map((l) => [...stripVTControlCharacters(l)].length);
}

/** A run with every long value at once: 2000 users, counts in the billions, long ids, paths, reasons and SLOs. */
function longest(): SimulationReport {
  const base = syntheticReport({ slo: 'p50<1,p95<10,p99<50,max<60000,delivery>=0.999,duplicates==0,outOfOrder==0,ghosts==0,lag<25,cpu<90,rate>=50000' });
  const huge = 123_456_789_012;
  return {
    ...base,
    config: { ...base.config, users: 2000, pattern: 'random' },
    sent: huge,
    delivered: huge - 1,
    deliveryRatio: 0.99999999,
    updateDeliveryRatio: 0.99999999,
    duplicates: 98_765_432_109,
    outOfOrder: 87_654_321_098,
    latencyMs: { count: huge, p50: 12_345.678, p95: 234_567.891, p99: 3_456_789.012, max: 3_600_000, mean: 99_999.999 },
    ghostUsers: 1999,
    ghostIds: Array.from({ length: 50 }, (_, i) => `ghost-user-with-a-rather-long-identifier-number-${i}`),
    missingUsers: 1998,
    framesPerSecond: 9_876_543.2,
    maxFramesPerSecond: 98_765_432,
    sink: {
      ...base.sink!,
      deletes: { client: huge, closed: huge, timeout: huge, plain: huge },
    },
    generator: {
      ...base.generator,
      targetRate: 60_000,
      achievedRate: 59_999.9,
      steadyRate: 59_999.9,
      sendSeconds: 86_400.123,
      updatesPerCpuSecond: 987_654_321,
      missedLate: huge,
      missedBacklog: huge,
    },
    eventLoopLagMs: { p50: 12_345.678, p99: 23_456.789, max: 34_567.891, mean: 1 },
    cpu: { userMs: 86_400_000, systemMs: 43_200_000, percentOfCore: 199.9 },
    sendBacklog: { ...base.sendBacklog, maxSocketBytes: huge, maxTotalBytes: huge * 1000 },
    generatorBound: true,
    generatorBoundReasons: [
      'sent only 12.34% of the updates due on time (123456789012 missed by late ticks; bar 98.0%)',
      `event-loop lag p99 23456.789 ms > 25 ms: latencies measured here include that lag, ${'and-a-very-long-unbroken-word-'.repeat(4)}`,
    ],
    warnings: [
      `the sink received frames that break the protocol: ${JSON.stringify({ schema: huge, not_json: huge, too_large: huge })}`,
      'only 1 of 2000 virtual users were connected when sending stopped: the load was lower than asked',
      `a file at /${'deeply/nested/'.repeat(12)}replay.jsonl could not be read`,
    ],
  };
}

describe('the terminal summary', () => {
  it('fits 80 columns with every value as long as it gets, plain and coloured', () => {
    const r = longest();
    for (const color of [false, true]) {
      const text = formatSummary(r, color);
      const w = widths(text);
      expect(Math.max(...w), text).toBeLessThanOrEqual(SUMMARY_COLUMNS);
    }
  });

  it('still shows what it wrapped: numbers, the SLO verdict, every reason and note', () => {
    const r = longest();
    const text = formatSummary(r, false);
    // Wrapped text rejoined: cell borders and line breaks removed.
    const flat = text.replace(/[│┌┐└┘├┤┬┴┼─]/g, ' ').replace(/\s+/g, ' ');
    expect(flat).toContain('123456789012');
    expect(flat).toContain('2000 users × 30 Hz');
    expect(text).toContain('GENERATOR-BOUND');
    expect(text).toMatch(/^SLO BREACHED: p50<1,/m);
    const joined = text.replace(/\n(!!\s{4}|\s{6}|\s{2})/g, ' ').replace(/\n/g, ' ');
    expect(joined.replace(/ /g, '')).toContain(`${'and-a-very-long-unbroken-word-'.repeat(4)}`);
    expect(joined.replace(/ /g, '')).toContain(`/${'deeply/nested/'.repeat(12)}replay.jsonl`);
    expect(text.match(/^note: /gm)).toHaveLength(r.warnings.length);
  });

  it('an ordinary run: one row per line, labels and values side by side', () => {
    const text = formatSummary(syntheticReport(), false);
    expect(Math.max(...widths(text))).toBeLessThanOrEqual(SUMMARY_COLUMNS);
    expect(text).toMatch(/│ sent \(updates\)\s+│ 541000 in 10\.05 s = /);
    expect(text).toMatch(/│ delivered\s+│ 539500\s+│/);
    expect(text).toMatch(/│ latency p50 \/ p95 \/ p99\s+│ /);
  });
});
