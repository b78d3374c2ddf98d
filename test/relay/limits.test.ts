import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RelayHandle } from '../../src/relay/index.js';
import { update } from '../helpers/messages.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

let relay: RelayHandle | undefined;
const { start, keep } = useRelays();

describe('limits', () => {
  it('rate limit: beyond the burst, frames are dropped and counted as rate_limited', async () => {
    relay = await start({ rate: 1, burst: 10 });
    const s = keep(await sink(relay));
    const c = keep(await claim(relay, 1)); // the connect took one token
    for (let i = 0; i < 50; i++) c.send(update(1, i % 170));
    await until(() => relay!.metrics().messagesIn >= 51, 'all frames in');
    const d = relay.metrics().dropped.rate_limited!;
    // 10 tokens, refilled at 1/s: about 41 of the 50 are dropped (a token may trickle in meanwhile).
    expect(d).toBeGreaterThanOrEqual(38);
    expect(d).toBeLessThanOrEqual(41);
    await until(() => s.ofType('update').length === 50 - d, 'the admitted updates');
    expect(await c.waitForMessage((m) => m.type === 'error', 'an error')).toMatchObject({ code: 'rate_limited' });
    // Errors are throttled: one per second, not one per dropped frame.
    expect(c.ofType('error').length).toBeLessThanOrEqual(2);
  });

  it('oversize frame: connection closed with 1009 and counted as too_large', async () => {
    relay = await start();
    const c = keep(await claim(relay, 1));
    c.send(JSON.stringify({ ...update(1, 1), pad: 'x'.repeat(2000) }));
    await c.waitClosed();
    expect(c.closeCode).toBe(1009);
    expect(relay.metrics().dropped.too_large).toBe(1);
  });

  it('a text frame that is not UTF-8: connection closed with 1007 and counted as not_utf8', async () => {
    relay = await start();
    const c = keep(await claim(relay, 1));
    c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    await c.waitClosed();
    expect(c.closeCode).toBe(1007);
    expect(relay.metrics().dropped.not_utf8).toBe(1);
  });

  it('honours a larger --max-payload', async () => {
    relay = await start({ maxPayload: 4096 });
    const c = keep(await claim(relay, 1));
    c.send(JSON.stringify({ ...update(1, 1), pad: 'x'.repeat(2000) })); // fits, but fails the schema
    await until(() => relay!.metrics().dropped.schema === 1, 'schema drop');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(relay.metrics().dropped.too_large).toBe(0);
  });

  it('binary, non-JSON, non-object, bad schema and wrong-direction frames are dropped by reason; honest delivery continues', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    const honest = keep(await claim(relay, 'honest'));
    const bad = keep(await claim(relay, 'bad'));
    bad.ws.send(Buffer.from('{"x":1}'));
    bad.send('{"x":');
    bad.send('[1,2]');
    bad.send('{"x":1,"y":2,"speed":3,"angle":4,"sliderId":"bad","extra":1}');
    bad.send({ type: 'hello', role: 'sink' });
    bad.send({ type: 'batch', messages: [] });
    s.send(update('s', 1)); // a sink may not send updates
    for (let i = 0; i < 20; i++) honest.send(update('honest', i));
    await until(() => s.ofType('update').length === 20, 'the honest updates');
    await until(() => relay!.metrics().messagesIn >= 1 + 2 + 6 + 1 + 20, 'all frames counted');
    expect(relay.metrics().dropped).toMatchObject({ binary: 1, not_json: 1, not_object: 1, schema: 1, wrong_direction: 3 });
    expect(s.ofType('update').map((m) => m.x)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await bad.waitForMessage((m) => m.type === 'error', 'an error')).toMatchObject({ code: 'binary' });
  });

  it('max controllers: the next controller is closed with 1013 and counted as server_full', async () => {
    relay = await start({ maxControllers: 2 });
    keep(await claim(relay, 1));
    keep(await claim(relay, 2));
    const third = keep(await Peer.open(relay.url));
    third.send({ type: 'connect', sliderId: 3 });
    await third.waitClosed();
    expect(third.closeCode).toBe(1013);
    expect(relay.metrics().dropped.server_full).toBe(1);
    expect(relay.metrics().connections.controller).toBe(2);
    // Sinks do not count against the controller cap.
    keep(await sink(relay));
  });
});

describe('silent connections', () => {
  it('route mode closes a connection that never says hello or connect (4002, counted); phones and sinks stay', async () => {
    // 400 ms, not less: the phone and the sink must answer every ping within two heartbeats to stay, and on a
    // loaded 2-core machine (a full npm test) a 200 ms window was sometimes missed, which closed them too
    relay = await start({ heartbeatMs: 400 });
    const s = keep(await sink(relay));
    const c = keep(await claim(relay, 7));
    const silent = keep(await Peer.open(relay.url));
    await silent.waitClosed('the silent connection to be closed', 10_000);
    expect(silent.closeCode).toBe(4002);
    expect(silent.closeReason).toMatch(/hello|connect/);
    const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^tdcrowd_unidentified_closed_total 1$/m);
    // the identified ones answered their pings and are still served
    c.send(update(7, 10));
    await s.waitForMessage((m) => m.sliderId === 7 && m.x === 10, 'the phone still reaches the sink');
    expect(s.closeCode).toBeUndefined();
  });

  it('broadcast mode keeps silent listeners (the tutorial patch never speaks)', async () => {
    relay = await start({ heartbeatMs: 100, mode: 'broadcast' });
    const listener = keep(await Peer.open(relay.url));
    const c = keep(await claim(relay, 8));
    await until(() => listener.pings >= 5, 'five heartbeats');
    c.send(update(8, 20));
    await listener.waitForMessage((m) => m.sliderId === 8 && m.x === 20, 'the listener still gets the broadcast');
    expect(listener.closeCode).toBeUndefined();
  });
});

describe('sink token', () => {
  it('no token, or a wrong one: error unauthorized, close 4001, and not a single data frame', async () => {
    relay = await start({ sinkToken: 'secret-token-0123456789' });
    const c = keep(await claim(relay, 1));
    c.send(update(1, 1));
    for (const hello of [{ type: 'hello', role: 'sink' }, { type: 'hello', role: 'sink', token: 'wrong' }]) {
      const s = keep(await Peer.open(relay.url));
      s.send(hello);
      c.send(update(1, 2)); // traffic while the would-be sink waits
      await s.waitClosed();
      expect(s.closeCode).toBe(4001);
      expect(s.messages).toEqual([{ type: 'error', code: 'unauthorized', message: expect.any(String) }]);
    }
    expect(relay.metrics().dropped.unauthorized).toBe(2);
  });

  it('a connection that has not said hello gets nothing, even in broadcast mode', async () => {
    relay = await start({ sinkToken: 'secret-token-0123456789', mode: 'broadcast' });
    const lurker = keep(await Peer.open(relay.url));
    const c = keep(await claim(relay, 1));
    c.send(update(1, 1));
    const s = keep(await sink(relay, { token: 'secret-token-0123456789' }));
    c.send(update(1, 2));
    await s.waitForMessage((m) => m.x === 2, 'data at the admitted sink');
    expect(lurker.frames).toEqual([]);
    expect(lurker.binaries).toBe(0);
  });

  it('the right token admits the sink', async () => {
    relay = await start({ sinkToken: 'secret-token-0123456789' });
    const s = keep(await sink(relay, { token: 'secret-token-0123456789' }));
    const c = keep(await claim(relay, 1));
    c.send(update(1, 3));
    await s.waitForMessage((m) => m.x === 3, 'update');
    expect(relay.metrics().dropped.unauthorized).toBe(0);
  });
});

describe('origin allow-list', () => {
  it('rejects an upgrade from another origin with 403 and counts it; allowed and origin-less clients connect', async () => {
    relay = await start({ origins: ['https://show.example.org', 'http://127.0.0.1:9999/'] });
    await expect(Peer.open(relay.url, { origin: 'https://evil.example.com' })).rejects.toThrow(/403/);
    expect(relay.metrics().dropped.origin).toBe(1);
    keep(await Peer.open(relay.url, { origin: 'https://show.example.org' }));
    keep(await Peer.open(relay.url, { origin: 'HTTP://127.0.0.1:9999' }));
    keep(await Peer.open(relay.url)); // TouchDesigner sends no Origin
    await until(() => relay!.metrics().connections.unknown === 3, 'three connections');
    expect(relay.metrics().dropped.origin).toBe(1);
  });
});
