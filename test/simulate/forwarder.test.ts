import { afterEach, describe, expect, it } from 'vitest';
import { startForwarder, type Forwarder } from './helpers/forwarder.js';
import { simulate } from './helpers/run.js';

let fwd: Forwarder | undefined;
afterEach(async () => {
  await fwd?.close();
  fwd = undefined;
});

describe('simulate against a minimal forwarder', () => {
  it('measures every update delivered once, in order, with latency', async () => {
    fwd = await startForwarder();
    const { report, summary } = await simulate({ url: fwd.url, users: '20', rate: '20', duration: '2', sink: true });
    expect(report.sent).toBeGreaterThan(20 * 20 * 2 * 0.8);
    expect(report.delivered).toBe(report.sent);
    expect(report.deliveryRatio).toBe(1);
    expect(report.duplicates).toBe(0);
    expect(report.outOfOrder).toBe(0);
    expect(report.ghostUsers).toBe(0);
    expect(report.missingUsers).toBe(0);
    expect(report.latencyMs.count).toBe(report.delivered);
    expect(report.latencyMs.p99).toBeGreaterThan(0);
    expect(report.latencyMs.p50!).toBeLessThanOrEqual(report.latencyMs.p99!);
    expect(report.latencyMs.p99!).toBeLessThanOrEqual(report.latencyMs.max!);
    expect(summary).toContain('delivery ratio');
  });
});
