/**
 * The measuring sink against a minimal forwarder (test/simulate/helpers/forwarder.ts) that can be told to
 * misbehave: each fault must show up in the report as exactly that fault.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startForwarder, type Forwarder } from './helpers/forwarder.js';
import { simulate } from './helpers/run.js';

let fwd: Forwarder | undefined;
afterEach(async () => {
  await fwd?.close();
  fwd = undefined;
});

describe('simulate against a minimal forwarder', () => {
  it('an honest forwarder: every update delivered once, in order, with latency', async () => {
    fwd = await startForwarder();
    const { report, summary } = await simulate({ url: fwd.url, users: '20', rate: '20', duration: '2', sink: true });
    expect(report.sent).toBeGreaterThan(0);
    expect(report.generator.updatesSent).toBe(report.sent);
    expect(report.delivered).toBe(report.sent);
    expect(report.deliveryRatio).toBe(1);
    expect(report.duplicates).toBe(0);
    expect(report.outOfOrder).toBe(0);
    expect(report.ghostUsers).toBe(0);
    expect(report.missingUsers).toBe(0);
    expect(report.finalState).toEqual({ users: 20, matched: 20, ratio: 1 });
    expect(report.latencyMs.count).toBe(report.delivered);
    expect(report.latencyMs.p99).toBeGreaterThan(0);
    expect(report.latencyMs.p50!).toBeLessThanOrEqual(report.latencyMs.p99!);
    expect(report.latencyMs.p99!).toBeLessThanOrEqual(report.latencyMs.max!);
    expect(report.series.reduce((a, p) => a + p.sent, 0)).toBe(report.sent);
    expect(report.series.reduce((a, p) => a + p.delivered, 0)).toBe(report.delivered);
    expect(summary).toMatch(/delivery ratio\s+│ 100\.0% \(1\)/);
  });

  it('a forwarder that sends every update twice: duplicates counted, delivery still exact', async () => {
    fwd = await startForwarder({ duplicate: true });
    const { report } = await simulate({ url: fwd.url, users: '5', rate: '20', duration: '1', sink: true });
    expect(report.sent).toBeGreaterThan(0);
    expect(report.duplicates).toBe(report.sent);
    expect(report.delivered).toBe(report.sent);
    expect(report.outOfOrder).toBe(0);
  });

  it('a forwarder that swaps consecutive updates: out-of-order counted, nothing lost or doubled', async () => {
    fwd = await startForwarder({ swapPairs: true });
    const { report } = await simulate({ url: fwd.url, users: '4', rate: '20', duration: '1', sink: true });
    // Per user, every second update arrives before its predecessor; an odd last one stays held.
    expect(report.outOfOrder).toBeGreaterThanOrEqual(Math.floor(report.sent / 2) - 4);
    expect(report.outOfOrder).toBeLessThanOrEqual(Math.ceil(report.sent / 2));
    expect(report.duplicates).toBe(0);
    expect(report.delivered).toBeGreaterThanOrEqual(report.sent - 4);
  });

  it('a forwarder that loses deletes: users who left are reported as ghosts', async () => {
    fwd = await startForwarder({ dropDeletes: true });
    const { report, summary } = await simulate({
      url: fwd.url,
      users: '6',
      rate: '10',
      duration: '2.5',
      pattern: 'still',
      idleDelete: true,
      idleAfter: '1',
      sink: true,
      grace: '1',
    });
    expect(report.generator.idleDeletes).toBe(6);
    expect(report.ghostUsers).toBe(6);
    expect(report.ghostIds).toHaveLength(6);
    expect(summary).toMatch(/ghost users\s+│ 6/);
  });

  it('the same idle deletes through an honest forwarder leave no ghosts', async () => {
    fwd = await startForwarder();
    const { report } = await simulate({ url: fwd.url, users: '6', rate: '10', duration: '2.5', pattern: 'still', idleDelete: true, idleAfter: '1', sink: true });
    expect(report.generator.idleDeletes).toBe(6);
    expect(report.sink?.deletes).toEqual({ client: 6 });
    expect(report.ghostUsers).toBe(0);
  });

  it('churned users that close without a delete are ghosts when the relay does not notice', async () => {
    fwd = await startForwarder({ dropDeletes: true });
    // 120/min = one leave every 0.5 s: four are due by 2.0 s (three if a loaded machine stalls the last tick).
    const { report } = await simulate({ url: fwd.url, users: '5', rate: '10', duration: '2.4', churn: '120', sink: true, grace: '1' });
    expect(report.generator.leaves).toBeGreaterThanOrEqual(3);
    expect(report.generator.leaves).toBeLessThanOrEqual(4);
    expect(report.generator.joins).toBe(report.generator.leaves);
    expect(report.ghostUsers).toBe(report.generator.leaves);
  });

  it('runs without a sink and says so', async () => {
    fwd = await startForwarder();
    const { report, summary } = await simulate({ url: fwd.url, users: '3', rate: '10', duration: '1' });
    expect(report.measurement).toBe('none');
    expect(report.sink).toBeNull();
    expect(report.generator.updatesSent).toBeGreaterThan(0);
    expect(summary).toContain('add --sink');
  });
});
