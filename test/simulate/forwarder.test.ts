/**
 * The measuring sink against a minimal forwarder (test/simulate/helpers/forwarder.ts) that can be told to
 * misbehave: each fault must show up in the report as exactly that fault.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import { until } from '../helpers/wait.js';
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
    expect(report.generator.usersConnected).toBe(20);
    expect(report.warnings).toEqual([]);
    expect(report.latencyMs.count).toBe(report.delivered);
    expect(report.latencyMs.p99).toBeGreaterThan(0);
    expect(report.latencyMs.p50!).toBeLessThanOrEqual(report.latencyMs.p99!);
    expect(report.latencyMs.p99!).toBeLessThanOrEqual(report.latencyMs.max!);
    expect(report.series.reduce((a, p) => a + p.sent, 0)).toBe(report.sent);
    expect(report.generator.steadyRate).toBe((report.series[0]!.sent + report.series[1]!.sent) / 2);
    expect(report.series.reduce((a, p) => a + p.delivered, 0)).toBe(report.delivered);
    // Latency per second of receipt: every whole second received updates, within the run's own range.
    const whole = report.series.filter((p) => p.coveredS === 1);
    expect(whole.length).toBeGreaterThanOrEqual(1);
    for (const p of whole) {
      expect(p.p50Ms).not.toBeNull();
      expect(p.p50Ms!).toBeLessThanOrEqual(p.p95Ms!);
      expect(p.p95Ms!).toBeLessThanOrEqual(p.p99Ms!);
      expect(p.p99Ms!).toBeLessThanOrEqual(report.latencyMs.max! + 0.01);
    }
    expect(summary).toMatch(/delivery ratio\s+│ 100\.0% \(1\)/);
  });

  it('a server that refuses some users: the report says how many were connected and that the load fell short', async () => {
    // The sink and the admission probe (a controller proving the sink is served) take two of the twelve places,
    // so 10 of the 15 users get in.
    fwd = await startForwarder({ maxConnections: 12 });
    const { report, summary } = await simulate({ url: fwd.url, users: '15', rate: '20', duration: '1', sink: true });
    expect(report.generator.usersConnected).toBe(10);
    expect(report.generator.connectFailures).toBe(5);
    expect(report.warnings).toContain('only 10 of 15 virtual users were connected when sending stopped: the load was lower than asked');
    expect(summary).toContain('only 10 of 15 virtual users');
    // Those who got in were measured as usual.
    expect(report.deliveryRatio).toBe(1);
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

  it('burst: every frame on the wire is a valid controller message; each release ends with one zero update', async () => {
    fwd = await startForwarder();
    // Burst: everyone moves for 1.5 s, then lets go; the run ends inside the released phase.
    const { report } = await simulate({ url: fwd.url, users: '6', rate: '20', duration: '2.5', pattern: 'burst', sink: true });
    const byUser = new Map<unknown, Record<string, unknown>[]>();
    for (const f of fwd.controllerFrames) {
      const r = parse(f.text, { origin: 'controller' });
      expect(r.ok, f.text).toBe(true);
      // (String ids belong to the sink's admission probe.)
      if (r.ok && r.kind === 'update' && typeof r.message.sliderId === 'number') {
        const list = byUser.get(r.message.sliderId) ?? [];
        list.push(r.message);
        byUser.set(r.message.sliderId, list);
      }
    }
    expect(byUser.size).toBe(6);
    for (const updates of byUser.values()) {
      const zeros = updates.filter((u) => u.x === 0 && u.y === 0 && u.speed === 0 && u.angle === 0);
      expect(zeros).toHaveLength(1);
      expect(updates[updates.length - 1]).toBe(zeros[0]);
      expect(updates.map((u) => u.seq)).toEqual(updates.map((_, i) => i));
      expect(updates.every((u) => typeof u.t === 'number')).toBe(true);
    }
    expect(report.deliveryRatio).toBe(1);
  });

  it('--legacy sends the tutorial format only: no seq, no t, no hello', async () => {
    fwd = await startForwarder({ mode: 'broadcast' });
    const { report } = await simulate({ url: fwd.url, users: '3', rate: '10', duration: '1', sink: true, legacy: true });
    expect(fwd.controllerFrames.length).toBeGreaterThan(3);
    for (const f of fwd.controllerFrames) {
      expect(f.text).not.toMatch(/"seq"|"t"|"hello"|"resume"/);
      expect(parse(f.text, { origin: 'controller' }).ok).toBe(true);
    }
    expect(report.deliveryRatio).toBe(1);
  });

  it('--ramp spreads the connects over the ramp', async () => {
    fwd = await startForwarder();
    await simulate({ url: fwd.url, users: '10', rate: '5', duration: '1.5', ramp: '1' });
    expect(fwd.connectionTimes).toHaveLength(10);
    // User i connects at i/10 of the ramp: the last one no earlier than 0.9 s after the first.
    expect(fwd.connectionTimes[9]! - fwd.connectionTimes[0]!).toBeGreaterThanOrEqual(850);
  });

  it('an abort (Ctrl-C) ends the sending early and still settles and reports', async () => {
    fwd = await startForwarder();
    const abort = new AbortController();
    const pending = simulate({ url: fwd.url, users: '4', rate: '10', duration: '60', sink: true }, abort.signal);
    // Abort once updates are flowing (polling the forwarder, not sleeping a fixed time).
    await until(() => fwd!.controllerFrames.length >= 20, 'updates flowing at the forwarder');
    abort.abort();
    const { report } = await pending;
    expect(report.generator.sendSeconds).toBeLessThan(30);
    expect(report.sent).toBeGreaterThan(0);
    expect(report.deliveryRatio).toBe(1);
    expect(report.ghostUsers).toBe(0);
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
