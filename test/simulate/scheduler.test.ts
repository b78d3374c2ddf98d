import { afterEach, describe, expect, it } from 'vitest';
import { TickScheduler } from '../../src/simulate/scheduler.js';
import { until } from '../helpers/wait.js';
import { startForwarder, type Forwarder } from './helpers/forwarder.js';
import { simulate } from './helpers/run.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // hold the event loop, as a GC pause or an overloaded machine would
  }
};

describe('TickScheduler', () => {
  it('counts late ticks and skips missed ones instead of replaying them', async () => {
    let calls = 0;
    let stalled = false;
    const s = new TickScheduler(5, () => {
      calls++;
      if (calls === 5 && !stalled) {
        stalled = true;
        busy(60);
      }
    });
    s.start();
    await until(() => calls >= 20, 'twenty ticks');
    s.stop();
    expect(s.running).toBe(false);
    expect(s.stats.ticks).toBe(calls);
    expect(s.stats.lateTicks).toBeGreaterThanOrEqual(1);
    // The 60 ms stall covers ~12 ticks of 5 ms: they are skipped, not run back to back.
    expect(s.stats.skippedTicks).toBeGreaterThanOrEqual(8);
    expect(s.stats.maxLateMs).toBeGreaterThanOrEqual(50);
  });
});

describe('the crowd is scheduled by the clock (drift-free) and a stalled generator says so', () => {
  let fwd: Forwarder | undefined;
  afterEach(async () => {
    await fwd?.close();
    fwd = undefined;
  });

  it('a 400 ms stall: the updates due are still counted, the missed ones reported, the run flagged generator-bound', async () => {
    fwd = await startForwarder();
    const stall = setTimeout(() => busy(400), 800);
    const { report, summary } = await simulate({ url: fwd.url, users: '10', rate: '20', duration: '2', sink: true });
    clearTimeout(stall);
    const g = report.generator;
    // Due by the clock: 10 users × 20 Hz × ~2 s (less the connect time), however late the ticks ran.
    expect(g.scheduled).toBeGreaterThan(10 * 20 * 1.7);
    expect(g.scheduled).toBeLessThanOrEqual(10 * 20 * 2 + 10);
    expect(g.missedLate).toBeGreaterThan(0);
    expect(g.updatesSent + g.missedLate).toBe(g.scheduled);
    expect(report.generatorBound).toBe(true);
    expect(report.generatorBoundReasons.join(' ')).toMatch(/updates due on time|event-loop lag/);
    expect(summary).toContain('GENERATOR-BOUND');
    // What was sent still arrived exactly once.
    expect(report.deliveryRatio).toBe(1);
  });
});
