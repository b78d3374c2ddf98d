/**
 * The bar for relay --redis: phones on instance A, TouchDesigner (the generated scripts in the emulator)
 * on instance B, 100 % delivery; A SIGKILLed: its phones resume their ids on B and keep their TouchDesigner rows,
 * the phones that do not come back are deleted by B within two heartbeats.
 */
import { describe, expect, it } from 'vitest';
import { Bridge } from '../../src/emulate/bridge.js';
import { resolveOptions } from '../../src/generate/index.js';
import { startRelay } from '../../src/relay/index.js';
import { byUser } from '../emulate/harness.js';
import { useCleanups } from '../helpers/cleanup.js';
import { update, type Json } from '../helpers/messages.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { startRedis } from '../helpers/redis.js';
import { QUIET, spawnRelay } from '../helpers/relay.js';
import { hasPython, hasRedisServer } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { untilInstances } from './cluster.js';

const cleanups = useCleanups();

/** Seconds: long enough that phones resume before A's liveness key expires on a loaded 2-core machine. */
const HEARTBEAT_S = 2;
const PHONES = 20;
const RETURNING = 15;
const UPDATES = 60;

describe.skipIf(!hasRedisServer() || !hasPython())('relay --redis: phones on A, TouchDesigner on B, A killed', () => {
  it('delivers every update across instances, resumes ids on B with their rows, deletes the ghosts of A', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.dispose());
    const a = await spawnRelay(['--redis', redis.url, '--heartbeat', String(HEARTBEAT_S), '--max-per-address', '1000']);
    cleanups.push(() => a.stop());
    const b = await startRelay({ ...QUIET, redis: redis.url, heartbeatMs: HEARTBEAT_S * 1000, maxPerAddress: 1000 });
    cleanups.push(() => b.close());
    await untilInstances([a, b], 2);

    // TouchDesigner on B (no pruning: rows go only by the relay's deletes), and a raw sink on B that counts
    const td = new Bridge({ url: b.url, options: resolveOptions({ timeout: 0 }) });
    cleanups.push(() => td.stop());
    await td.start();
    const counter = await sink(b);
    cleanups.push(() => counter.terminate());
    await until(() => b.metrics().connections.sink === 2, 'TouchDesigner and the counting sink admitted on B');

    const ids = Array.from({ length: PHONES }, (_, i) => `phone${i}`);
    const phones = new Map<string, Peer>();
    for (const id of ids) phones.set(id, await claim(a.url, id));
    cleanups.push(() => [...phones.values()].forEach((p) => p.terminate()));
    const tokens = new Map(ids.map((id) => [id, phones.get(id)!.resume!]));
    const x = (k: number, i: number): number => ((k * 7 + i * 13) % 341) - 170;
    for (let k = 0; k < UPDATES; k++) ids.forEach((id, i) => phones.get(id)!.send(update(id, x(k, i), -i, { seq: k })));

    // 100 % delivery, in order per user, at a sink on the other instance
    const updatesFor = (id: string): Json[] => counter.ofType('update').filter((m) => m.sliderId === id);
    await until(() => ids.every((id) => updatesFor(id).length === UPDATES), `all ${PHONES * UPDATES} updates at B`);
    for (const id of ids) expect(updatesFor(id).map((m) => m.seq)).toEqual(Array.from({ length: UPDATES }, (_, k) => k));
    expect(counter.ofType('update')).toHaveLength(PHONES * UPDATES);
    const table = await until(async () => {
      const t = byUser((await td.state()).table);
      return t.size === PHONES && ids.every((id, i) => t.get(id)?.[0] === String(x(UPDATES - 1, i))) && t;
    }, 'every phone in the emulated TouchDesigner table with its last position');
    expect(table.size).toBe(PHONES);

    // A dies without a word; the returning phones resume on B (a client given both URLs)
    a.proc.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    for (const p of phones.values()) p.terminate();
    const returning = ids.slice(0, RETURNING);
    const ghosts = ids.slice(RETURNING);
    const resumed = new Map<string, Peer>();
    for (const id of returning) resumed.set(id, await claim(b.url, id, { resume: tokens.get(id) }));
    cleanups.push(() => [...resumed.values()].forEach((p) => p.terminate()));
    for (const id of returning) expect(resumed.get(id)!.ofType('error')).toEqual([]);

    // the ghosts go from TouchDesigner within two heartbeats (plus the test's polling); the returning rows stay
    const t0 = Date.now();
    const after = await until(async () => {
      const t = byUser((await td.state()).table);
      return ghosts.every((id) => !t.has(id)) && t;
    }, "the dead instance's ghosts deleted at B", 4 * HEARTBEAT_S * 1000);
    const ghostMs = Date.now() - t0;
    expect(ghostMs).toBeLessThan(2 * HEARTBEAT_S * 1000 + 1000);
    expect([...after.keys()].sort()).toEqual([...returning].sort());
    for (const id of ghosts) {
      expect(counter.ofType('delete').find((m) => m.sliderId === id)?.reason).toBe('timeout');
    }
    // no returning phone's row was ever deleted, and no connect was sent again for it
    for (const id of returning) {
      expect(counter.ofType('delete').filter((m) => m.sliderId === id)).toEqual([]);
      expect(counter.ofType('connect').filter((m) => m.sliderId === id)).toHaveLength(1);
    }

    // the sweep of A freed the ghosts' ids but not the resumed ones: those are B's now
    const thief = await Peer.open(b.url);
    cleanups.push(() => thief.terminate());
    thief.send({ type: 'connect', sliderId: returning[0] });
    expect((await thief.waitForMessage((m) => m.type === 'error', 'the refusal')).code).toBe('id_taken');
    const heir = await claim(b.url, ghosts[0]!);
    cleanups.push(() => heir.terminate());

    // the returning phones steer their same rows through B
    returning.forEach((id, i) => resumed.get(id)!.send(update(id, 100 + i, 0, { seq: UPDATES })));
    await until(async () => {
      const t = byUser((await td.state()).table);
      return returning.every((id, i) => t.get(id)?.[0] === String(100 + i)) && t.size === RETURNING + 1;
    }, 'the resumed phones steering their rows through B');
    expect(b.metrics().users).toBe(RETURNING + 1); // and the heir of a ghost's freed id
    expect((await td.state()).errors).toEqual([]);
  }, 60_000);
});
