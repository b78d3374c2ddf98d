/**
 * Hostile input (README, "Reliability"; docs/protocol.md, "Errors"): thousands of malformed frames from several connections while honest users stream.
 * The relay stays up, honest delivery stays 100 %, and every drop is counted under the reason it deserves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RelayHandle } from '../../src/relay/index.js';
import { fetchText } from '../helpers/http.js';
import { type Json, tableOf, update } from '../helpers/messages.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

let relay: RelayHandle | undefined;
const { start, keep } = useRelays();

type Frame = { reason: string; frame: string | Buffer };

/** Junk frames, each built so that exactly one reason applies, for a hostile connection that holds `own`. */
function junk(own: string, victim: string, seed: number, n: number): Frame[] {
  const goodUpdate = fc.record({
    x: fc.double({ min: -170, max: 170, noNaN: true }),
    y: fc.double({ min: -170, max: 170, noNaN: true }),
    speed: fc.double({ min: 0, max: 100, noNaN: true }),
    angle: fc.double({ min: 0, max: 360, noNaN: true }),
  });
  const frame: fc.Arbitrary<Frame> = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ reason: 'binary', frame: Buffer.from(b) })),
    fc.string({ maxLength: 200 }).map((s) => ({ reason: 'not_json', frame: `}${s}` })),
    fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.integer(), fc.string(), fc.constant(null)).map((v) => ({
      reason: 'not_object',
      frame: JSON.stringify(v),
    })),
    goodUpdate.map((u) => ({ reason: 'schema', frame: JSON.stringify({ ...u, x: 171 + Math.abs(u.x), sliderId: own }) })),
    goodUpdate.map((u) => ({ reason: 'schema', frame: JSON.stringify({ ...u, sliderId: own, colour: 'red' }) })),
    goodUpdate.map((u) => ({ reason: 'schema', frame: JSON.stringify({ ...u, speed: String(u.speed), sliderId: own }) })),
    fc.string({ maxLength: 20 }).map((t) => ({ reason: 'schema', frame: JSON.stringify({ type: `x${t}`, sliderId: own }) })),
    goodUpdate.map((u) => ({ reason: 'id_mismatch', frame: JSON.stringify({ ...u, sliderId: victim }) })),
    fc.constant({ reason: 'id_mismatch', frame: JSON.stringify({ type: 'delete', sliderId: victim }) }),
    fc.constant({ reason: 'wrong_direction', frame: JSON.stringify({ type: 'hello', role: 'sink' }) }),
    // From a controller, a delete with a reason is a delete with an unknown property.
    fc.constant({ reason: 'schema', frame: JSON.stringify({ type: 'delete', sliderId: own, reason: 'timeout' }) }),
    fc.constant({ reason: 'wrong_direction', frame: JSON.stringify({ type: 'batch', messages: [] }) }),
  );
  // Oversize is its own case (it closes the connection): keep these under the 1 KiB cap.
  const fitting = frame.filter((f) => Buffer.byteLength(f.frame) <= 1000);
  return fc.sample(fitting, { seed, numRuns: n });
}

describe('hostile input while honest users stream', () => {
  it('keeps delivering every honest update and counts every junk frame by reason', async () => {
    // Nine phones from 127.0.0.1: the per-address cap is not what this test is about.
    relay = await start({ rate: 1e6, burst: 1e6, maxPerAddress: 100 });
    const s = keep(await sink(relay));
    const honest = await Promise.all(Array.from({ length: 5 }, (_, i) => claim(relay!, `honest-${i}`)));
    honest.forEach(keep);
    const hostile = await Promise.all(Array.from({ length: 4 }, (_, i) => claim(relay!, `evil-${i}`)));
    hostile.forEach(keep);
    const plans = hostile.map((_, i) => junk(`evil-${i}`, `honest-${i}`, 1000 + i, 1000));

    const expected: Record<string, number> = {};
    for (let step = 0; step < 100; step++) {
      honest.forEach((c, i) => c.send(update(`honest-${i}`, step, i, { seq: step })));
      hostile.forEach((c, i) => {
        for (const f of plans[i]!.slice(step * 10, step * 10 + 10)) {
          if (typeof f.frame === 'string') c.send(f.frame);
          else c.ws.send(f.frame);
          expected[f.reason] = (expected[f.reason] ?? 0) + 1;
        }
      });
      if (step % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    // Oversize frames close their connection (1009); the relay carries on.
    const big = keep(await Peer.open(relay.url));
    big.send('x'.repeat(5000));
    await big.waitClosed();
    expected.too_large = 1;

    const honestFrames = honest.length * 100;
    await until(() => s.ofType('update').length === honestFrames, 'every honest update at the sink', 30_000);
    const sent = 1 + honest.length + hostile.length + honestFrames + 4000; // hello, connects, updates, junk
    await until(() => relay!.metrics().messagesIn >= sent + 1, 'every frame counted in', 30_000);

    // Honest delivery: all of them, in order per user, and nothing from the hostile connections' junk.
    for (let i = 0; i < honest.length; i++) {
      const seqs = s.ofType('update').filter((m) => m.sliderId === `honest-${i}`).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, k) => k));
    }
    expect(s.ofType('update').every((m: Json) => String(m.sliderId).startsWith('honest-'))).toBe(true);
    expect([...tableOf(s.messages).keys()].filter((k) => k.startsWith('honest-'))).toHaveLength(5);

    const dropped = relay.metrics().dropped;
    for (const [reason, n] of Object.entries(expected)) expect(dropped[reason], reason).toBe(n);
    const total = Object.values(dropped).reduce((a, b) => a + b, 0);
    expect(total).toBe(4000 + 1);
    expect(relay.metrics().messagesIn).toBe(sent + 1);

    const health = await fetchText(`${relay.httpUrl}/healthz`);
    expect(JSON.parse(health.body)).toMatchObject({ ok: true, users: 9 });
  }, 60_000);

  it('a flood beyond the rate limit is dropped as rate_limited without hurting honest users', async () => {
    relay = await start({ rate: 50, burst: 50 });
    const s = keep(await sink(relay));
    const good = keep(await claim(relay, 'good'));
    const flood = keep(await claim(relay, 'flood'));
    for (let i = 0; i < 3000; i++) flood.send(update('flood', i % 170));
    for (let i = 0; i < 20; i++) good.send(update('good', i, 0, { seq: i }));
    await until(() => s.messages.filter((m) => m.sliderId === 'good' && m.seq === 19).length === 1, 'the last good update');
    expect(s.messages.filter((m) => m.sliderId === 'good' && m.seq !== undefined).map((m) => m.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    await until(() => relay!.metrics().messagesIn >= 3000 + 20 + 3, 'the flood counted');
    // Every flood frame is either at the sink or counted as dropped.
    const floodDelivered = (): number => s.ofType('update').filter((m) => m.sliderId === 'flood').length;
    await until(() => floodDelivered() + relay!.metrics().dropped.rate_limited! === 3000, 'the flood accounted for');
    expect(relay.metrics().dropped.rate_limited).toBeGreaterThan(0);
    expect(floodDelivered()).toBeLessThan(3000 / 2);
  });
});
