import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { RelayHandle } from '../../src/relay/index.js';
import { fetchText } from '../helpers/http.js';
import { type Json, tableOf, update, sinkConnect } from '../helpers/messages.js';
import { metric } from '../helpers/metrics.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { sleep, until } from '../helpers/wait.js';

let relay: RelayHandle | undefined;
/** Every phone here comes from 127.0.0.1: the per-address cap is not what these tests are about. */
const MANY = { maxPerAddress: 1000 };
const { start, keep } = useRelays();
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('batch mode', () => {
  it('sends at most batchHz frames per second, each with the latest update per user; connects and deletes kept in order', async () => {
    relay = await start({ ...MANY, rate: 10_000, burst: 10_000 });
    const batchHz = 5;
    const s = keep(await sink(relay, { batchHz }));
    const helloAt = Date.now();
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(relay!, `u${i}`)));
    users.forEach(keep);
    // Stream for about 1.5 s: 10 users x 100 updates each.
    for (let step = 0; step < 100; step++) {
      users.forEach((c, i) => c.send(update(`u${i}`, step, i)));
      if (step % 10 === 9) await sleep(100);
    }
    users[3]!.send({ type: 'delete', sliderId: 'u3' });
    users.forEach((c, i) => i !== 3 && c.send(update(`u${i}`, 150, i)));
    await until(() => {
      const rows = tableOf(s.messages);
      return rows.size === 9 && [...rows.values()].every((r) => r.x === 150) && !rows.has('u3');
    }, 'the final state at the sink');
    const elapsedS = (Date.now() - helloAt) / 1000;

    const frames = s.messages;
    expect(frames.every((m) => m.type === 'batch')).toBe(true);
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(elapsedS * batchHz) + 1);
    // Far fewer frames than the 1000+ messages behind them.
    expect(frames.length).toBeLessThan(100);
    for (const b of frames) {
      const inner = b.messages as Json[];
      const updates = inner.filter((m) => m.type === undefined || m.type === 'update');
      expect(new Set(updates.map((m) => m.sliderId)).size).toBe(updates.length); // one update per user per batch
    }
    // u3: connect ... delete, and nothing after its delete.
    const u3 = frames.flatMap((b) => b.messages as Json[]).filter((m) => m.sliderId === 'u3');
    expect(u3[0]).toEqual(sinkConnect('u3'));
    expect(u3.at(-1)).toEqual({ type: 'delete', sliderId: 'u3', reason: 'client' });
    // Coalescing for a batch sink is by design, not a drop.
    expect(relay.metrics().dropped.backpressure).toBe(0);
  });

  it('a batch sink gets the snapshot in its first batch', async () => {
    relay = await start();
    const c = keep(await claim(relay, 1));
    c.send(update(1, 12));
    await until(() => relay!.metrics().messagesIn >= 2, 'the update');
    const s = keep(await sink(relay, { batchHz: 20 }));
    const first = await s.waitForMessage((m) => m.type === 'batch', 'a batch');
    expect(first.messages).toEqual([sinkConnect(1), update(1, 12)]);
  });
});

describe('back-pressure', () => {
  it('a sink that stops reading: bounded queue (coalesced, counted) and fresh state when it resumes', async () => {
    const users = 20;
    relay = await start({ ...MANY, rate: 1e6, burst: 1e6, sinkHighWaterBytes: 16 * 1024, heartbeatMs: 120_000 });
    const s = keep(await sink(relay));
    const socket = (s.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const cs = await Promise.all(Array.from({ length: users }, (_, i) => claim(relay!, `user-${i}-${'p'.repeat(50)}`)));
    cs.forEach(keep);
    const id = (i: number): string => `user-${i}-${'p'.repeat(50)}`;

    // Flood until the relay has had to coalesce for a while (the kernel's socket buffers fill first).
    let step = 0;
    await until(
      () => {
        for (let k = 0; k < 50; k++, step++) cs.forEach((c, i) => c.send(update(id(i), step % 170, i, { seq: step })));
        return (relay!.metrics().dropped.backpressure ?? 0) > 20_000;
      },
      'back-pressure drops',
      40_000,
    );
    // Sample the queue while the flood goes on (it may briefly empty when the kernel takes a little more).
    const samples: number[] = [];
    let m = await fetchText(`${relay.httpUrl}/metrics`);
    for (let round = 0; round < 200 && !samples.some((q) => q > 0); round++) {
      for (let k = 0; k < 20; k++, step++) cs.forEach((c, i) => c.send(update(id(i), step % 170, i, { seq: step })));
      m = await fetchText(`${relay.httpUrl}/metrics`);
      samples.push(metric(m.body, 'tdcrowd_sink_queue_users')!);
    }
    expect(Math.max(...samples)).toBeGreaterThan(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(users); // bounded by users, not by how long the sink stalls
    expect(metric(m.body, 'tdcrowd_dropped_total{reason="backpressure"}')).toBeGreaterThan(20_000);

    // A final, distinct value per user, then the sink reads again.
    cs.forEach((c, i) => c.send(update(id(i), -1, i, { seq: 1e9 })));
    await until(() => relay!.metrics().messagesIn >= step * users + users * 2 + 1, 'the final updates in', 20_000);
    await tick();
    socket.resume();
    await until(() => {
      const rows = tableOf(s.messages);
      return rows.size === users && [...rows.values()].every((r) => r.seq === 1e9);
    }, 'fresh state at the sink', 30_000);
    // It skipped most of the flood rather than replaying it.
    expect(s.ofType('update').length).toBeLessThan(step * users);
  }, 60_000);
});
