import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RelayHandle } from '../../src/relay/index.js';
import { update, sinkConnect } from '../helpers/messages.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

let relay: RelayHandle | undefined;
const { start, keep } = useRelays();

describe('identity: a connection speaks only for the id it first claimed', () => {
  it('welcomes the first claim with a random resume token', async () => {
    relay = await start();
    const a = keep(await claim(relay, 1));
    const b = keep(await claim(relay, 2));
    const wa = a.ofType('welcome')[0]!;
    expect(wa).toMatchObject({ type: 'welcome', sliderId: 1 });
    expect(a.resume).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
    expect(a.resume).not.toBe(b.resume);
  });

  it('refuses updates and deletes for another id (id_mismatch) and forwards none of them', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    const victim = keep(await claim(relay, 1));
    victim.send(update(1, 50));
    const attacker = keep(await claim(relay, 2));
    attacker.send(update(1, -50));
    attacker.send({ type: 'delete', sliderId: 1 });
    attacker.send({ type: 'connect', sliderId: 1 });
    await attacker.waitForMessage((m) => m.type === 'error', 'an error');
    await until(() => relay!.metrics().dropped.id_mismatch === 3, 'three id_mismatch drops');
    // Errors are throttled to one per second: three refusals, one error frame.
    expect(attacker.ofType('error')).toEqual([{ type: 'error', code: 'id_mismatch', message: expect.stringContaining('2') }]);
    attacker.send(update(2, 1));
    await s.waitForMessage((m) => m.sliderId === 2 && m.x === 1, "the attacker's own update");
    expect(s.messages.filter((m) => m.sliderId === 1)).toEqual([sinkConnect(1), update(1, 50)]);
    expect(relay.metrics().users).toBe(2);
  });

  it('refuses a claim of an id held by a live connection (id_taken), even as a first update', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    keep(await claim(relay, 'alice'));
    const spoof = keep(await Peer.open(relay.url));
    spoof.send({ type: 'connect', sliderId: 'alice' });
    const err = await spoof.waitForMessage((m) => m.type === 'error', 'id_taken');
    expect(err).toMatchObject({ code: 'id_taken' });
    const spoof2 = keep(await Peer.open(relay.url));
    spoof2.send(update('alice', 170));
    spoof2.send({ type: 'delete', sliderId: 'alice' });
    await spoof2.waitForMessage((m) => m.type === 'error', 'error for spoof2');
    await until(() => relay!.metrics().dropped.id_taken === 2 && relay!.metrics().dropped.not_connected === 1, 'drops');
    expect(s.messages).toEqual([sinkConnect('alice')]);
    expect(spoof.ofType('welcome')).toEqual([]);
  });

  it('refuses a wrong resume token (bad_resume)', async () => {
    relay = await start();
    keep(await claim(relay, 7));
    const spoof = keep(await Peer.open(relay.url));
    spoof.send({ type: 'connect', sliderId: 7, resume: 'A'.repeat(24) });
    expect(await spoof.waitForMessage((m) => m.type === 'error', 'error')).toMatchObject({ code: 'bad_resume' });
    expect(relay.metrics().dropped.bad_resume).toBe(1);
  });

  it('resume takes the id over: old socket closed with 4000 and a reason, sinks keep the row (no delete)', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    const old = keep(await claim(relay, 42));
    old.send(update(42, 10));
    await s.waitForMessage((m) => m.x === 10, 'first update');
    const fresh = keep(await claim(relay, 42, { resume: old.resume }));
    await old.waitClosed('the old socket to close');
    expect(old.closeCode).toBe(4000);
    expect(old.closeReason).toMatch(/taken over/);
    const welcome = fresh.ofType('welcome')[0]!;
    expect(welcome.sliderId).toBe(42);
    expect(welcome.resume).not.toBe(old.resume); // a fresh token every time
    fresh.send(update(42, 20));
    await s.waitForMessage((m) => m.x === 20, 'update from the new socket');
    expect(s.ofType('delete')).toEqual([]);
    expect(s.ofType('connect')).toHaveLength(1);
    expect(relay.metrics().users).toBe(1);
    // The new owner's close is the user's end.
    fresh.close();
    expect(await s.waitForMessage((m) => m.type === 'delete', 'delete')).toEqual({ type: 'delete', sliderId: 42, reason: 'closed' });
  });

  it('once the holder is gone the id is free again, for tutorial pages without tokens', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    const first = keep(await claim(relay, 3));
    first.close();
    await s.waitForMessage((m) => m.type === 'delete', 'delete');
    const again = keep(await claim(relay, 3));
    expect(again.ofType('error')).toEqual([]);
    again.send(update(3, 1));
    await s.waitForMessage((m) => m.x === 1, 'update');
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('an update as the first message claims the id (welcome) and reaches the sink after a connect', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    const c = keep(await Peer.open(relay.url));
    c.send(update(8, 5));
    await c.waitForMessage((m) => m.type === 'welcome', 'welcome');
    await s.waitForMessage((m) => m.x === 5, 'update');
    expect(s.messages).toEqual([sinkConnect(8), update(8, 5)]);
  });

  it('5 and "5" are the same user, so a string id cannot sneak past a numeric one', async () => {
    relay = await start();
    keep(await claim(relay, 5));
    const spoof = keep(await Peer.open(relay.url));
    spoof.send({ type: 'connect', sliderId: '5' });
    expect(await spoof.waitForMessage((m) => m.type === 'error', 'error')).toMatchObject({ code: 'id_taken' });
  });
});
