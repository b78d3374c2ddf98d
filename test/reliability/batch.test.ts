/**
 * Bounded batches (issue 11, part 5): a sink may not ask for batches less often than MIN_BATCH_HZ (a batch of
 * 29 853 messages at 0.05 Hz, churned ids kept for good at 1e-6 Hz), and a batch sink under heavy churn keeps
 * the relay's memory bounded: ids that join and leave between two ticks cost nothing.
 */
import { describe, expect, it } from 'vitest';
import { MIN_BATCH_HZ } from '../../src/protocol/index.js';
import { recordFigures } from '../helpers/figures.js';
import { tableOf, update } from '../helpers/messages.js';
import { Peer } from '../helpers/peers.js';
import { spawnRelay } from '../helpers/relay.js';
import { RssSampler } from '../helpers/rss.js';
import { sleep, until } from '../helpers/wait.js';

/** Client sockets spread over 127.0.0.2–254, as the simulator does, so no per-address cap binds the test. */
let nextAddress = 0;
function localAddress(): string {
  nextAddress = (nextAddress % 253) + 1;
  return `127.0.0.${nextAddress + 1}`;
}

describe('batchHz', () => {
  it(`below ${MIN_BATCH_HZ} a second the hello is refused (schema) and the sink gets nothing; at ${MIN_BATCH_HZ} it is admitted`, async () => {
    const r = await spawnRelay(['--ping-interval', '3600']);
    try {
      for (const hz of [0.05, 1e-6]) {
        const slow = await Peer.open(r.url);
        slow.send({ type: 'hello', role: 'sink', batchHz: hz });
        const err = await until(() => slow.ofType('error')[0], 'the refusal');
        expect(err.code).toBe('schema');
        expect(String(err.message)).toMatch(/batchHz must be >= 1/);
        slow.close();
      }
      const phone = await Peer.open(r.url);
      phone.send({ type: 'connect', sliderId: 'p' });
      phone.send(update('p', 5, 5));
      const ok = await Peer.open(r.url);
      ok.send({ type: 'hello', role: 'sink', batchHz: MIN_BATCH_HZ });
      const batch = await until(() => ok.ofType('batch')[0], 'a batch', 5000);
      expect(tableOf([batch]).get('p')).toMatchObject({ x: 5, y: 5 });
      expect((await r.metrics()).connections.sink).toBe(1);
      phone.close();
      ok.close();
    } finally {
      await r.stop();
    }
  });
});

describe('a batch sink under churn', () => {
  it('20 000 ids joining and leaving: relay memory stays bounded, the queue holds only the live, the table ends exact', async () => {
    const r = await spawnRelay(['--ping-interval', '3600', '--rate', '1000', '--burst', '1000']);
    const rss = new RssSampler(r.proc.pid!, 100);
    try {
      const sink = await Peer.open(r.url);
      sink.send({ type: 'hello', role: 'sink', batchHz: MIN_BATCH_HZ });
      await until(async () => (await r.metrics()).connections.sink === 1, 'the sink admitted');
      // a few phones stay for the whole run
      const stayers = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const p = await Peer.open(r.url, { localAddress: localAddress() });
          p.send({ type: 'connect', sliderId: `stay-${i}` });
          p.send(update(`stay-${i}`, i, -i));
          return p;
        }),
      );
      await sleep(300);
      const baseline = rss.sample();
      const total = 20_000;
      const parallel = 64;
      let started = 0;
      let maxQueued = 0;
      const watch = setInterval(() => {
        void r.metrics().then((m) => (maxQueued = Math.max(maxQueued, m.get('tdcrowd_sink_queue_users') ?? 0)), () => undefined);
      }, 200);
      let peakFirstHalf = 0;
      const churnOne = async (): Promise<void> => {
        for (let n = started++; n < total; n = started++) {
          if (n === total / 2) peakFirstHalf = rss.peak;
          const p = await Peer.open(r.url, { localAddress: localAddress() });
          p.send({ type: 'connect', sliderId: `churn-${n}` });
          p.send(update(`churn-${n}`, n % 170, 0));
          await until(() => p.messages.some((m) => m.type === 'welcome'), 'welcome', 10_000);
          p.ws.close(1000);
          await p.closed;
        }
      };
      const t0 = Date.now();
      await Promise.all(Array.from({ length: parallel }, churnOne));
      const churnS = (Date.now() - t0) / 1000;
      clearInterval(watch);
      await until(async () => (await r.metrics()).users === 10, 'only the stayers left', 20_000);
      await sleep(1500); // a tick or more for the last deletes
      const m = await r.metrics();
      const peakGrowth = rss.peak - baseline;
      const secondHalfGrowth = rss.peak - peakFirstHalf;

      // The table at the sink is exactly the stayers.
      const rows = tableOf(sink.messages);
      expect([...rows.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `stay-${i}`).sort());
      // Ids that came and went within a tick never reached the sink, and were counted as such.
      const coalesced = m.get('tdcrowd_batch_coalesced_total') ?? 0;
      expect(coalesced).toBeGreaterThan(0);
      expect(m.dropped.backpressure).toBe(0);
      // The queue held at most about a second of churn, never the run.
      expect(maxQueued).toBeLessThan(total / 4);
      expect(m.get('tdcrowd_sink_queue_users')).toBeLessThanOrEqual(10);
      // Memory does not grow with the ids churned: the second 10 000 add little to the peak of the first.
      expect(peakGrowth).toBeLessThan(100);
      expect(secondHalfGrowth).toBeLessThan(peakGrowth / 2 + 5);
      recordFigures('batch', {
        churnedIds: total,
        churnSeconds: churnS,
        rssBaselineMiB: Math.round(baseline),
        rssPeakGrowthMiB: Math.round(peakGrowth),
        rssSecondHalfGrowthMiB: Math.round(secondHalfGrowth),
        maxQueuedUsers: maxQueued,
        coalesced,
      });
      for (const p of stayers) p.close();
      sink.close();
    } finally {
      rss.stop();
      await r.stop();
    }
  }, 120_000);
});
