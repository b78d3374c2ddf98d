/**
 * A report built by the real buildReport from made-up measurements, so report rendering can be tested on known
 * numbers: 2000 users × 30 Hz for 10.05 s (a 3 s ramp, a loss in second 5, a latency spike in second 7), ending
 * in a partial second of 0.05 s.
 */
import { buildReport, evaluateSlo, resolveOptions, sloValues, type RawOptions, type SimulationReport } from '../../../src/simulate/index.js';
import { LatencyStats, type SecondLatency } from '../../../src/simulate/stats.js';
import { emptyCounters } from '../../../src/simulate/user-pool.js';

export const SEND_SECONDS = 10.05;
/** Updates sent in each second: a ramp, then 60 000/s, then 0.05 s' worth. */
export const SENT = [20_000, 40_000, 58_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000, 3_000];
/** Second 5 loses 1 500 updates. */
export const DELIVERED = SENT.map((n, s) => (s === 5 ? n - 1_500 : n));
/** p50 / p95 / p99 of each second, ms; second 7 is the spike. */
export const PER_SECOND: Array<[number, number, number]> = SENT.map((_, s) => (s === 7 ? [4.2, 21.5, 38.7] : [0.41, 1.9, 3.3 + s / 10]));

export function syntheticReport(raw: RawOptions = {}): SimulationReport {
  const options = resolveOptions({ url: 'ws://127.0.0.1:8080', users: '2000', rate: '30', duration: String(SEND_SECONDS), sink: true, ramp: '3', ...raw });
  // The run's histogram: mostly under a millisecond, a tail to ~60 ms.
  const latency = new LatencyStats();
  for (let i = 0; i < 20_000; i++) latency.record(0.05 + (i % 100) * 0.009);
  for (let i = 0; i < 2_000; i++) latency.record(1 + (i % 50) * 0.2);
  for (let i = 0; i < 200; i++) latency.record(12 + (i % 48));
  const perSecond = new Map<number, SecondLatency>(PER_SECOND.map(([p50, p95, p99], s) => [s, { count: DELIVERED[s]!, p50, p95, p99 }]));
  const sent = SENT.reduce((a, b) => a + b, 0);
  const delivered = DELIVERED.reduce((a, b) => a + b, 0);
  const counters = { ...emptyCounters(), scheduled: sent, updatesSent: sent, framesSent: sent + 2000, connectsSent: 2000 };
  const report = buildReport({
    options,
    startedAt: new Date('2026-01-02T03:04:05Z'),
    sendSeconds: SEND_SECONDS,
    measurement: 'stamped',
    sent,
    sentPerSecond: (s) => SENT[s] ?? 0,
    seconds: SENT.length,
    sink: {
      delivered,
      duplicates: 0,
      outOfOrder: 0,
      latency: latency.summary(),
      bins: latency.bins(),
      framesReceived: delivered + 2000,
      framesAt: (s) => DELIVERED[s] ?? 0,
      deliveredAt: (s) => DELIVERED[s] ?? 0,
      latencyAt: (s) => perSecond.get(s),
      ghostIds: [],
      missing: 0,
      finalUsers: 2000,
      finalMatched: 2000,
      unmatched: 0,
      foreign: 0,
      connects: 2000,
      connectsWithHue: 0,
      deletes: {},
      invalid: {},
      relayErrors: {},
      closed: undefined,
    },
    counters,
    sources: { spread: true, range: '127.0.0.2-127.0.0.254' },
    connectedAtEnd: 2000,
    ticks: { ticks: 2010, lateTicks: 3, skippedTicks: 0, maxLateMs: 7.5 },
    threads: 1,
    workerLagP99Ms: undefined,
    self: {
      eventLoopLagMs: { p50: 0.5, p99: 4.2, max: 12.3, mean: 0.8 },
      cpu: { userMs: 7000, systemMs: 1500, percentOfCore: 84.6 },
      backlog: { maxSocketBytes: 0, maxTotalBytes: 0 },
      maxRssMb: 180,
      wallMs: 10_050,
    },
    replay: undefined,
  });
  if (options.slo && options.sloText !== undefined) {
    const results = evaluateSlo(options.slo, sloValues(report));
    report.slo = { spec: options.sloText, passed: results.every((r) => r.ok), results };
  }
  return report;
}
