/** The simulator against the real relay (src/relay), in process, on loopback. */
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { AdmissionError } from '../../src/simulate/index.js';
import { simulate } from './helpers/run.js';

/**
 * The simulator's phones all come from 127.0.0.1 here, so the relay's per-address cap (a venue LAN's default)
 * would refuse all but a few: these tests are about the simulator, not that cap.
 */
const LOOPBACK = { port: 0, host: '127.0.0.1', quiet: true, maxPerAddress: 10_000 } as const;

let relay: RelayHandle | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('simulate against the relay', () => {
  it('route mode, 50 users × 20 Hz × 3 s: everything delivered once, in order, no ghosts', async () => {
    relay = await startRelay({ ...LOOPBACK });
    const { report } = await simulate({ url: relay.url, users: '50', rate: '20', duration: '3', sink: true, ramp: '0.5' });
    expect(report.sent).toBeGreaterThan(50 * 20);
    expect(report.deliveryRatio).toBe(1);
    expect(report.delivered).toBe(report.sent);
    expect(report.duplicates).toBe(0);
    expect(report.outOfOrder).toBe(0);
    expect(report.ghostUsers).toBe(0);
    expect(report.missingUsers).toBe(0);
    expect(report.latencyMs.count).toBe(report.delivered);
    for (const k of ['p50', 'p95', 'p99', 'max'] as const) expect(report.latencyMs[k]).toBeGreaterThan(0);
    expect(report.sink?.invalidFrames).toEqual({});
    expect(report.generator.relayErrors).toEqual({});
  });

  it('churn: users who close their tab are deleted at the sink (reason closed), new ones appear', async () => {
    relay = await startRelay({ ...LOOPBACK });
    const { report } = await simulate({ url: relay.url, users: '10', rate: '10', duration: '2.4', churn: '120', sink: true });
    expect(report.generator.leaves).toBeGreaterThanOrEqual(3);
    expect(report.sink?.deletes.closed).toBe(report.generator.leaves);
    expect(report.ghostUsers).toBe(0);
    expect(report.missingUsers).toBe(0);
    expect(report.deliveryRatio).toBe(1);
  });

  it('idle delete: still users are deleted at the sink (reason client)', async () => {
    relay = await startRelay({ ...LOOPBACK });
    const { report } = await simulate({ url: relay.url, users: '5', rate: '10', duration: '3', pattern: 'still', idleDelete: true, idleAfter: '1', sink: true });
    expect(report.generator.idleDeletes).toBe(5);
    expect(report.sink?.deletes.client).toBe(5);
    expect(report.sink?.connects).toBe(5);
    expect(report.ghostUsers).toBe(0);
  });

  it('batch mode: delivery is the final state per user; coalescing is shown, not hidden', async () => {
    relay = await startRelay({ ...LOOPBACK });
    const { report, summary } = await simulate({ url: relay.url, users: '20', rate: '30', duration: '2', sink: true, batchHz: '5' });
    expect(report.deliverySemantics).toBe('final-state-per-user');
    expect(report.deliveryRatio).toBe(1);
    expect(report.finalState).toEqual({ users: 20, matched: 20, ratio: 1 });
    expect(report.updateDeliveryRatio!).toBeLessThan(0.5);
    expect(report.duplicates).toBe(0);
    expect(report.outOfOrder).toBe(0);
    expect(report.framesReceived).toBeLessThan(report.delivered);
    expect(summary).toContain('delivery (final state per user)');
  });

  it('--legacy against the broadcast mode: tutorial frames only, measured through the sender-side ledger', async () => {
    relay = await startRelay({ ...LOOPBACK, mode: 'broadcast' });
    const { report } = await simulate({ url: relay.url, users: '8', rate: '10', duration: '2', sink: true, legacy: true, churn: '60' });
    expect(report.measurement).toBe('matched');
    expect(report.sent).toBeGreaterThan(0);
    expect(report.deliveryRatio).toBe(1);
    expect(report.duplicates).toBe(0);
    expect(report.sink?.unmatched).toBe(0);
    expect(report.latencyMs.count).toBe(report.delivered);
    expect(report.ghostUsers).toBe(0);
    // Broadcast: every virtual phone also receives the others' frames, as in the tutorial.
    expect(report.generator.framesReceivedByUsers).toBeGreaterThan(report.sent);
  });

  it('--legacy against the route mode: the sink, saying no hello, gets nothing, and the run says why', async () => {
    relay = await startRelay({ ...LOOPBACK });
    await expect(simulate({ url: relay.url, users: '2', rate: '10', duration: '1', sink: true, legacy: true })).rejects.toThrow(
      /only receives from a relay that broadcasts/,
    );
  });

  it('sink token: the right token is admitted, a wrong one is refused with a clear error', async () => {
    relay = await startRelay({ ...LOOPBACK, sinkToken: 'let-me-in-0123456789' });
    const ok = await simulate({ url: relay.url, users: '3', rate: '10', duration: '1', sink: true, sinkToken: 'let-me-in-0123456789' });
    expect(ok.report.deliveryRatio).toBe(1);
    expect(ok.report.config.sinkToken).toBe('(set)');
    await expect(simulate({ url: relay.url, users: '3', rate: '10', duration: '1', sink: true, sinkToken: 'wrong' })).rejects.toThrow(AdmissionError);
  });

  it('replays a relay log recorded by the relay itself', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-sim-'));
    try {
      const logPath = join(dir, 'relay.jsonl');
      const recorder = await startRelay({ ...LOOPBACK, log: logPath });
      const recorded = await simulate({ url: recorder.url, users: '3', rate: '10', duration: '1', sink: true });
      await recorder.close();
      relay = await startRelay({ ...LOOPBACK });
      const { report } = await simulate({ url: relay.url, replay: logPath, speed: '2', sink: true });
      // The recording includes the admission probe's frames (another id): only the crowd's updates are expected.
      expect(report.sent).toBeGreaterThanOrEqual(recorded.report.sent);
      expect(report.deliveryRatio).toBe(1);
      expect(report.ghostUsers).toBe(0);
      expect(report.replay?.unsent).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
