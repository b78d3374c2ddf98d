/**
 * relay --redis, in one process: instances sharing a real redis-server act as one relay. Phones on A reach sinks
 * on B in order; ids are shared; presence and snapshots span instances.
 */
import dgram from 'node:dgram';
import { decode } from 'node-osc';
import { afterEach, describe, expect, it } from 'vitest';
import { OSC_ADDRESS } from '../../src/relay/osc-out.js';
import { hasRedisServer } from '../helpers/requirements.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { tableOf, update, type Json } from '../helpers/messages.js';
import { until } from '../helpers/wait.js';
import { metric } from '../helpers/metrics.js';
import { RedisCluster } from '../../src/relay/cluster/redis-cluster.js';
import { openRedisLink } from '../../src/relay/cluster/redis-link.js';
import { useCluster } from './cluster.js';

const updatesOf = (p: Peer, id: number | string): Json[] => p.ofType('update').filter((m) => m.sliderId === id);

describe.skipIf(!hasRedisServer())('relay --redis: instances act as one relay', () => {
  const cluster = useCluster();
  const peers: Peer[] = [];
  const keep = <T extends Peer>(p: T): T => (peers.push(p), p);
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });

  it('a phone on A reaches a sink on B, every update in order', async () => {
    const { instances: [a, b] } = await cluster.start(2);
    const td = keep(await sink(b!));
    const phones = await Promise.all([1, 2, 3].map(async (id) => keep(await claim(a!, id))));
    for (let i = 0; i < 200; i++) phones.forEach((p, k) => p.send(update(k + 1, (i % 170) - 85, k)));
    await until(() => [1, 2, 3].every((id) => updatesOf(td, id).length === 200), 'all 600 updates at the sink on B');
    for (const id of [1, 2, 3]) {
      expect(updatesOf(td, id).map((m) => m.x)).toEqual(Array.from({ length: 200 }, (_, i) => (i % 170) - 85));
      // the connect came before the first update
      const frames = td.messages.filter((m) => m.sliderId === id);
      expect(frames[0]!.type).toBe('connect');
    }
    expect(b!.metrics().dropped.no_sink).toBe(0);
    expect(a!.metrics().dropped.no_sink).toBe(0);
    // one PUBLISH per tick carries many frames, not one command per frame
    const m = await (await fetch(`${a!.httpUrl}/metrics`)).text();
    const publishes = metric(m, 'tdcrowd_cluster_bus_publishes_total')!;
    const lines = metric(m, 'tdcrowd_cluster_bus_lines_out_total')!;
    expect(lines).toBeGreaterThanOrEqual(603);
    expect(publishes).toBeGreaterThan(0);
    expect(publishes).toBeLessThan(lines / 4);
    expect(metric(m, 'tdcrowd_cluster_instances')).toBe(2);
    expect(metric(m, 'tdcrowd_cluster_up')).toBe(1);
    expect(metric(m, 'tdcrowd_users')).toBe(3);
    const mb = await (await fetch(`${b!.httpUrl}/metrics`)).text();
    expect(metric(mb, 'tdcrowd_users')).toBe(0); // per instance
    expect(metric(mb, 'tdcrowd_cluster_remote_users')).toBe(3);
    expect(metric(mb, 'tdcrowd_cluster_frames_in_total')).toBeGreaterThanOrEqual(603);
    await until(async () => metric(await (await fetch(`${b!.httpUrl}/metrics`)).text(), 'tdcrowd_cluster_users') === 3, 'the cluster-wide user count at B');
  });

  it('an --osc target on B gets the phones on A too', async () => {
    const rx = dgram.createSocket('udp4');
    const got: { address: string; args: unknown[] }[] = [];
    // --osc-hz 0: one message per datagram; node-osc gives each argument as {type, value}
    rx.on('message', (buf) => {
      const m = decode(buf) as unknown as { address: string; args: { value: unknown }[] };
      got.push({ address: m.address, args: m.args.map((a) => a.value) });
    });
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    try {
      const c = await cluster.start(1);
      const b = await c.add({ osc: [{ host: '127.0.0.1', port: rx.address().port }], oscHz: 0 });
      const [a] = c.instances;
      const p = keep(await claim(a!, 'far'));
      p.send(update('far', 33, 4));
      await until(() => got.some((m) => m.address === OSC_ADDRESS.update && m.args[0] === 'far' && m.args[1] === 33), 'the OSC update from A at B\'s target');
      expect(got.find((m) => m.address === OSC_ADDRESS.connect)?.args).toEqual(['far', p.ofType('welcome')[0]!.hue]);
      p.close();
      await until(() => got.some((m) => m.address === OSC_ADDRESS.delete && m.args[0] === 'far'), 'the OSC delete');
      expect(b.metrics().dropped.no_sink).toBe(0);
    } finally {
      rx.close();
    }
  });

  it('a cluster-wide counter (for hues): instances count on one sequence', async () => {
    const { redis } = await cluster.start(0);
    const x = new RedisCluster(await openRedisLink(redis.url), 1000);
    const y = new RedisCluster(await openRedisLink(redis.url), 1000);
    try {
      expect(await x.counter('hue')).toBe(1);
      expect(await y.counter('hue')).toBe(2);
      expect(await x.counter('hue')).toBe(3);
      expect(await y.counter('other')).toBe(1);
    } finally {
      await x.close();
      await y.close();
    }
  });

  it('hues come from one counter for the whole cluster; a phone resumed on another instance keeps its hue', async () => {
    const { instances: [a, b] } = await cluster.start(2);
    const td = keep(await sink(b!));
    const ids = ['h0', 'h1', 'h2', 'h3'];
    const phones: Peer[] = [];
    // joins alternate between the instances, one after the other
    for (const [i, id] of ids.entries()) phones.push(keep(await claim(i % 2 === 0 ? a! : b!, id)));
    const hues = phones.map((p) => p.ofType('welcome')[0]!.hue as number);
    // the golden-angle sequence of one counter (0, 138, 275, 53), not two interleaved ones (0, 0, 138, 138)
    expect(hues).toEqual([0, 138, 275, 53]);
    for (const [i, id] of ids.entries()) {
      const connect = await td.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, `the connect of ${id} at the sink`);
      expect(connect.hue).toBe(hues[i]);
    }
    // h0 (on A) resumes on B: same hue in its new welcome, and the counter is not stepped for it
    const again = keep(await claim(b!, 'h0', { resume: phones[0]!.resume }));
    expect(again.ofType('welcome')[0]!.hue).toBe(hues[0]);
    const next = keep(await claim(a!, 'h4'));
    expect(next.ofType('welcome')[0]!.hue).toBe(190);
  });

  it('an id claimed on A is taken on B; its token resumes it on B, closing the socket on A, and the row stays', async () => {
    const { instances: [a, b] } = await cluster.start(2);
    const td = keep(await sink(b!));
    const first = keep(await claim(a!, 'kim'));
    first.send(update('kim', 10));
    await td.waitForMessage((m) => m.sliderId === 'kim' && m.x === 10, 'the first update at B');

    const thief = keep(await Peer.open(b!.url));
    thief.send({ type: 'connect', sliderId: 'kim' });
    thief.send(update('kim', -99));
    const err = await thief.waitForMessage((m) => m.type === 'error', 'the refusal');
    expect(err.code).toBe('id_taken');
    const wrong = keep(await Peer.open(b!.url));
    wrong.send({ type: 'connect', sliderId: 'kim', resume: 'not-the-token-at-all' });
    expect((await wrong.waitForMessage((m) => m.type === 'error', 'the refusal')).code).toBe('bad_resume');

    const again = keep(await claim(b!, 'kim', { resume: first.resume }));
    await first.waitClosed('the old socket on A to close');
    expect(first.closeCode).toBe(4000);
    again.send(update('kim', 42));
    await td.waitForMessage((m) => m.sliderId === 'kim' && m.x === 42, 'the resumed phone\'s update');
    expect(td.ofType('delete').filter((m) => m.sliderId === 'kim')).toEqual([]);
    expect(td.messages.some((m) => m.sliderId === 'kim' && m.x === -99)).toBe(false);
    // the token rotated: the old one no longer works anywhere
    const replay = keep(await Peer.open(a!.url));
    replay.send({ type: 'connect', sliderId: 'kim', resume: first.resume });
    expect((await replay.waitForMessage((m) => m.type === 'error', 'the refusal')).code).toBe('bad_resume');
  });

  it('a phone that leaves A is deleted at the sink on B, and its id is free again everywhere', async () => {
    const { instances: [a, b] } = await cluster.start(2);
    const td = keep(await sink(b!));
    const p = keep(await claim(a!, 7));
    p.send(update(7, 5));
    await td.waitForMessage((m) => m.sliderId === 7 && m.x === 5, 'the update');
    p.close();
    const del = await td.waitForMessage((m) => m.type === 'delete' && m.sliderId === 7, 'the delete at B');
    expect(del.reason).toBe('closed');
    // tutorial pages know no tokens: once the old socket is gone the id is theirs again, on any instance
    const back = keep(await claim(b!, 7));
    back.send(update(7, 6));
    await td.waitForMessage((m) => m.sliderId === 7 && m.x === 6, 'the new holder\'s update');
  });

  it('a sink that joins B gets a snapshot of the users on A (and on B)', async () => {
    const { instances: [a, b] } = await cluster.start(2);
    for (const id of [1, 2]) keep(await claim(a!, id)).send(update(id, id * 10));
    keep(await claim(b!, 3)).send(update(3, 30));
    // wait until B's mirror has A's users: a first sink sees them
    const early = keep(await sink(b!));
    await until(() => tableOf(early.messages).size === 3 && [...tableOf(early.messages).values()].every((r) => r.x !== undefined), 'the first sink to hold all three');
    const late = keep(await sink(b!));
    await until(() => tableOf(late.messages).size === 3, 'the snapshot');
    expect([...tableOf(late.messages).entries()].map(([k, r]) => [k, r.x]).sort()).toEqual([
      ['1', 10],
      ['2', 20],
      ['3', 30],
    ]);
  });

  it('an instance that joins later learns the users already there: its first sink gets them all', async () => {
    const c = await cluster.start(2);
    const [a, b] = c.instances;
    keep(await claim(a!, 'early-a')).send(update('early-a', 11));
    keep(await claim(b!, 'early-b')).send(update('early-b', 22));
    await until(async () => metric(await (await fetch(`${a!.httpUrl}/metrics`)).text(), 'tdcrowd_cluster_remote_users') === 1, 'A to know B\'s user');
    const late = await c.add();
    const td = keep(await sink(late));
    await until(() => tableOf(td.messages).get('early-a')?.x === 11 && tableOf(td.messages).get('early-b')?.x === 22, 'both users at the new instance\'s sink');
  });

  it('/healthz is degraded only when no sink is anywhere in the relay; phones on A hear of the sink on B', async () => {
    const { instances: [a, b] } = await cluster.start(2);
    const health = async (r: { httpUrl: string }): Promise<Json> => (await (await fetch(`${r.httpUrl}/healthz`)).json()) as Json;
    expect((await health(a!)).status).toBe('degraded');
    const phone = keep(await claim(a!, 1));
    await phone.waitForMessage((m) => m.type === 'status' && m.listening === false, 'listening:false');
    keep(await sink(b!));
    await until(async () => (await health(a!)).status === 'ok', 'A to see the sink on B');
    await phone.waitForMessage((m) => m.type === 'status' && m.listening === true, 'listening:true on A');
    const h = await health(a!);
    expect(h.cluster).toMatchObject({ redis: 'up', instances: 2 });
  });
});

