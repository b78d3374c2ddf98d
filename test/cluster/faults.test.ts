/**
 * relay --redis under faults: Redis restarted under a live show, Redis unreachable at start, a password that must
 * never be printed, a slow sink on one instance.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay } from '../../src/relay/index.js';
import { tableOf, update, type Json } from '../helpers/messages.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { CLI, requireBuiltCli } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startRedis } from '../helpers/redis.js';
import { QUIET, spawnRelay } from '../helpers/relay.js';
import { hasRedisServer } from '../helpers/requirements.js';
import { useCleanups } from '../helpers/cleanup.js';
import { until } from '../helpers/wait.js';
import { CLUSTER_HEARTBEAT_MS, untilInstances, useCluster } from './cluster.js';

const cleanups = useCleanups();
const peers: Peer[] = [];
const keep = <T extends Peer>(p: T): T => (peers.push(p), p);
afterEach(() => {
  for (const p of peers.splice(0)) p.terminate();
});

async function cluster(r: { httpUrl: string }): Promise<Json> {
  return ((await (await fetch(`${r.httpUrl}/healthz`)).json()) as { cluster: Json }).cluster;
}

describe.skipIf(!hasRedisServer())('relay --redis under faults', () => {
  const clusters = useCluster();

  it('Redis restarted: local phones keep reaching local sinks, new ids wait with a retryable error, then all resync', async () => {
    const { redis, instances: [a, b] } = await clusters.start(2);
    const sinkA = keep(await sink(a!));
    const sinkB = keep(await sink(b!));
    const p1 = keep(await claim(a!, 'p1'));
    const p2 = keep(await claim(b!, 'p2'));
    p1.send(update('p1', 1));
    p2.send(update('p2', 2));
    for (const s of [sinkA, sinkB]) await until(() => tableOf(s.messages).get('p1')?.x === 1 && tableOf(s.messages).get('p2')?.x === 2, 'both users everywhere');

    await redis.stop();
    await until(async () => (await cluster(a!)).redis === 'unreachable' && (await cluster(b!)).redis === 'unreachable', 'both instances to notice');
    p1.send(update('p1', 111));
    await sinkA.waitForMessage((m) => m.sliderId === 'p1' && m.x === 111, 'the local update at A while Redis is down');
    const newbie = keep(await Peer.open(a!.url));
    newbie.send({ type: 'connect', sliderId: 'newbie' });
    const err = await newbie.waitForMessage((m) => m.type === 'error', 'the refusal');
    expect(err.code).toBe('unavailable');
    expect(String(err.message)).toMatch(/try again/);
    expect(newbie.closeCode).toBeUndefined(); // the connection stays: its next frame tries again
    // p2's socket on B dies; the page reconnects to A while Redis is down: its connect with the token is refused
    const p2token = p2.resume!;
    p2.terminate();
    const p2again = keep(await Peer.open(a!.url));
    p2again.send({ type: 'connect', sliderId: 'p2', resume: p2token });
    expect((await p2again.waitForMessage((m) => m.type === 'error', 'the refusal')).code).toBe('unavailable');

    await redis.start();
    await untilInstances([a!, b!], 2);
    // B hears what it missed (the full state every instance sends after a reconnect)
    await sinkB.waitForMessage((m) => m.sliderId === 'p1' && m.x === 111, 'the missed update at B after the resync');
    // ids were asserted again: p1 is still A's, and the token-less claim on B is refused
    const thief = keep(await Peer.open(b!.url));
    thief.send({ type: 'connect', sliderId: 'p1' });
    expect((await thief.waitForMessage((m) => m.type === 'error', 'the refusal')).code).toBe('id_taken');
    // the waiting phone's next frame gets its id now
    newbie.send({ type: 'connect', sliderId: 'newbie' });
    await newbie.waitForMessage((m) => m.type === 'welcome', 'the welcome after Redis came back');
    newbie.send(update('newbie', 7));
    await sinkB.waitForMessage((m) => m.sliderId === 'newbie' && m.x === 7, 'the new phone at B');
    p1.send(update('p1', 112));
    await sinkB.waitForMessage((m) => m.sliderId === 'p1' && m.x === 112, 'A→B flowing again');
    // B noticed p2's dead socket while Redis was down: its delete went to B's sink, and to A's after the resync
    // (a page reconnecting to A meanwhile, as the page does, moves on with the token its connect carried)
    p2again.send(update('p2', 113));
    await p2again.waitForMessage((m) => m.type === 'welcome', 'p2 back, on A');
    await sinkB.waitForMessage((m) => m.sliderId === 'p2' && m.x === 113, 'p2 from A at B');
    expect(p2again.ofType('welcome')[0]!.sliderId).toBe('p2');
    const fromB = keep(await claim(b!, 'b-new'));
    fromB.send(update('b-new', 114));
    await sinkA.waitForMessage((m) => m.sliderId === 'b-new' && m.x === 114, 'B→A flowing again');
    // two heartbeats later still nobody was taken for dead who is alive
    await new Promise((r) => setTimeout(r, 2 * CLUSTER_HEARTBEAT_MS));
    for (const s of [sinkA, sinkB]) expect(s.ofType('delete').filter((d) => d.sliderId !== 'p2')).toEqual([]);
    expect(tableOf(sinkA.messages).has('p2') && tableOf(sinkB.messages).has('p2')).toBe(true);
    expect(await cluster(a!)).toMatchObject({ instances: 2, users: 4 });
  });

  it('a sink that stops reading on B costs only itself: the other sinks on A and B get every update', async () => {
    const { instances: [a, b] } = await clusters.start(2, { sinkHighWaterBytes: 8 * 1024, rate: 1e6, burst: 1e6, maxPerAddress: 100, heartbeatMs: 20_000 });
    // a long heartbeat: a sink that reads nothing answers no ping either, and would be cut as dead
    const slow = keep(await sink(b!));
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const fastB = keep(await sink(b!));
    const fastA = keep(await sink(a!));
    const ids = Array.from({ length: 10 }, (_, i) => `u${i}-${'x'.repeat(40)}`);
    const phones = await Promise.all(ids.map(async (id) => keep(await claim(a!, id))));
    let step = 0;
    await until(
      () => {
        for (let k = 0; k < 20; k++, step++) phones.forEach((p, i) => p.send(update(ids[i]!, step % 170, i, { seq: step })));
        return (b!.metrics().dropped.backpressure ?? 0) > 2000;
      },
      'back-pressure for the slow sink on B',
      40_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: B ${JSON.stringify(b!.metrics())}, fastB ${fastB.ofType('update').length}, fastA ${fastA.ofType('update').length}, sent ${step * ids.length}`);
    });
    const total = step * ids.length;
    for (const s of [fastA, fastB]) await until(() => s.ofType('update').length === total, `all ${total} updates at a fast sink`, 30_000);
    expect(a!.metrics().dropped.backpressure ?? 0).toBe(0);
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    await until(() => {
      const rows = tableOf(slow.messages);
      return rows.size === ids.length && [...rows.values()].every((r) => r.seq === step - 1);
    }, 'fresh state at the slow sink once it reads again', 30_000);
  }, 90_000);

  it('Redis unreachable at start: one line on stderr without the password, exit 2', () => {
    requireBuiltCli();
    return freePort().then((port) => {
      const r = spawnSync(process.execPath, [CLI, 'relay', '--port', '0', '--host', '127.0.0.1', '--redis', `redis://:hunter2-very-secret@127.0.0.1:${port}`], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^tdcrowd: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(--redis\\)`));
      expect(r.stderr + r.stdout).not.toContain('hunter2');
    });
  });

  it('a bad --redis URL is a usage error', () => {
    requireBuiltCli();
    for (const bad of ['http://127.0.0.1:6379', 'not a url', 'redis://127.0.0.1:6379/xyz']) {
      const r = spawnSync(process.execPath, [CLI, 'relay', '--port', '0', '--redis', bad], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^tdcrowd: --redis/);
    }
  });

  it('rediss:// with a password: TLS to Redis (the CA from NODE_EXTRA_CA_CERTS); an untrusted certificate is exit 2', async () => {
    const password = 'tls-S3cret-n0t-to-print';
    const redis = await startRedis({ password, tls: true });
    cleanups.push(() => redis.dispose());
    expect(redis.url).toMatch(/^rediss:\/\//);
    const args = [CLI, 'relay', '--host', '127.0.0.1', '--redis', redis.url];
    // without the CA the certificate is refused: one line, no password
    const untrusted = spawnSync(process.execPath, [...args, '--port', '0'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.status).toBe(2);
    expect(untrusted.stderr.trim().split('\n')).toHaveLength(1);
    expect(untrusted.stderr).toMatch(/^tdcrowd: cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+ \(--redis\)/);
    expect(untrusted.stderr).not.toContain(password);

    const port = await freePort();
    const child = spawn(process.execPath, [...args, '--port', String(port), '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_EXTRA_CA_CERTS: redis.caFile } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    cleanups.push(() => void child.kill('SIGKILL'));
    const httpUrl = `http://127.0.0.1:${port}`;
    await until(async () => (await cluster({ httpUrl }).catch(() => undefined))?.redis === 'up', 'the relay up on TLS Redis', 20_000);
    // a claim goes through Redis: the welcome proves the TLS connection carries commands
    const s = keep(await Peer.open(`ws://127.0.0.1:${port}`));
    s.send({ type: 'hello', role: 'sink' });
    const p = keep(await claim(`ws://127.0.0.1:${port}`, 'tls-phone'));
    p.send(update('tls-phone', 9));
    await s.waitForMessage((m) => m.sliderId === 'tls-phone' && m.x === 9, 'the update');
    expect(await redis.client().hget('tdcrowd:id:tls-phone', 'inst')).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect(out).not.toContain(password);
  });

  it('a password in the URL works and never appears in output, /healthz or /metrics; a wrong one is exit 2', async () => {
    const password = 'pw-S3cret-n0t-to-print';
    const redis = await startRedis({ password });
    cleanups.push(() => redis.dispose());
    const wrong = spawnSync(process.execPath, [CLI, 'relay', '--port', '0', '--host', '127.0.0.1', '--redis', `redis://:wrong-${password}@127.0.0.1:${redis.port}`], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^tdcrowd: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(--redis\)/);
    expect(wrong.stderr + wrong.stdout).not.toContain(password);

    const relay = await spawnRelay(['--redis', redis.url, '--heartbeat', '0.4']);
    cleanups.push(() => relay.stop());
    const other = await startRelay({ ...QUIET, redis: redis.url, heartbeatMs: 400 });
    cleanups.push(() => other.close());
    await untilInstances([relay, other], 2);
    const s = keep(await sink(other));
    const p = keep(await claim(relay.url, 'x'));
    p.send(update('x', 3));
    await s.waitForMessage((m) => m.sliderId === 'x' && m.x === 3, 'the update across instances');
    // an outage is told on stderr (even with --quiet), without the password
    await redis.stop();
    await until(() => /Redis unreachable/.test(relay.output()), 'the outage line');
    await redis.start();
    await until(() => /Redis is back/.test(relay.output()), 'the recovery line');
    const texts = [relay.output(), await (await fetch(`${relay.httpUrl}/healthz`)).text(), await (await fetch(`${relay.httpUrl}/metrics`)).text()];
    for (const t of texts) expect(t).not.toContain(password);
  });
});
