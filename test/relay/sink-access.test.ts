/**
 * Who may be a sink (issue 11, part 1). A client bound to 127.0.0.2 plays "another machine" against
 * `--sink-from 127.0.0.1/32`; the interface-address rule runs on an injected interface list, so no test sends
 * traffic to a private-range address.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions, startRelay, type RelayEnvironment, type RelayHandle, type RelayOptions } from '../../src/relay/index.js';
import { fetchText } from '../helpers/http.js';
import { type Json, update } from '../helpers/messages.js';
import { metric } from '../helpers/metrics.js';
import { Peer, claim, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { sleep, until } from '../helpers/wait.js';

const { keep } = useRelays();
const relays: RelayHandle[] = [];
const TOKEN = 'a-sink-token-of-24-chars';

/** Opens a connection from `localAddress` and says hello; resolves with what the relay answered. */
async function hello(relay: RelayHandle, localAddress: string, fields: Json = {}): Promise<{ c: Peer; admitted: boolean; error?: Json }> {
  const before = relay.metrics().connections.sink;
  const c = keep(await Peer.open(relay.url, { localAddress }));
  c.send({ type: 'hello', role: 'sink', ...fields });
  const outcome = await until(
    () => (relay.metrics().connections.sink > before ? 'admitted' : c.messages.find((m) => m.type === 'error') ? 'refused' : undefined),
    'the hello to be answered',
  );
  return outcome === 'admitted' ? { c, admitted: true } : { c, admitted: false, error: c.messages.find((m) => m.type === 'error')! };
}

function iface(address: string, internal: boolean, prefix: number): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.255', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/${prefix}` };
}

/** A relay with an environment (useRelays' start takes options only). */
async function startWith(options: Partial<RelayOptions>, env?: RelayEnvironment): Promise<RelayHandle> {
  const r = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, ...options }, env);
  relays.push(r);
  return r;
}

afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

describe('without --sink-token, sinks only from this machine', () => {
  it('a hello from an address outside --sink-from is refused with how to fix it, and the crowd never reaches it', async () => {
    const relay = await startWith({ sinkFrom: ['127.0.0.1/32'] });
    const phone = keep(await claim(relay, 'v'));
    phone.send(update('v', 10));
    const foreign = await hello(relay, '127.0.0.2');
    phone.send(update('v', 20));
    expect(foreign.admitted).toBe(false);
    expect(foreign.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/127\.0\.0\.2.*--sink-from/) });
    await foreign.c.waitClosed();
    expect(foreign.c.closeCode).toBe(4001);
    expect(foreign.c.messages.filter((m) => m.sliderId !== undefined)).toEqual([]);
    // The relay's own address is in the list: admitted, and it gets the snapshot.
    const local = await hello(relay, '127.0.0.1');
    expect(local.admitted).toBe(true);
    await local.c.waitForMessage((m) => m.sliderId === 'v' && m.x === 20, 'the snapshot');
    const text = (await fetchText(`${relay.httpUrl}/metrics`)).body;
    expect(metric(text, 'tdcrowd_sink_hellos_refused_total{why="address"}')).toBe(1);
  });

  it("by default, this machine's interface addresses and loopback blocks are its own; other addresses are not", async () => {
    // A loopback interface of a single address, and a LAN interface 127.0.0.3/24: only .3 itself is this machine.
    const interfaces = { lo: [iface('127.0.0.1', true, 32)], eth0: [iface('127.0.0.3', false, 24)] };
    const relay = await startWith({ maxSinks: 10 }, { networkInterfaces: () => interfaces });
    expect((await hello(relay, '127.0.0.1')).admitted).toBe(true);
    expect((await hello(relay, '127.0.0.3')).admitted).toBe(true);
    const other = await hello(relay, '127.0.0.2');
    expect(other.admitted).toBe(false);
    expect(other.error!.message).toMatch(/only from the relay's own machine, not 127\.0\.0\.2.*--sink-token auto.*--sink-from 127\.0\.0\.2/);
  });

  it("with the machine's real interfaces, every loopback address is its own", async () => {
    const relay = await startWith({});
    expect((await hello(relay, '127.0.0.2')).admitted).toBe(true);
  });

  it('broadcast mode keeps the tutorial relay: a hello from anywhere is admitted (the banner warns)', async () => {
    const interfaces = { lo: [iface('127.0.0.1', true, 32)] };
    const relay = await startWith({ mode: 'broadcast' }, { networkInterfaces: () => interfaces });
    expect((await hello(relay, '127.0.0.2')).admitted).toBe(true);
  });
});

describe('--sink-token', () => {
  it('with a token, a sink from another machine is admitted by the token alone', async () => {
    const relay = await startWith({ sinkToken: TOKEN });
    expect((await hello(relay, '127.0.0.2', { token: TOKEN })).admitted).toBe(true);
  });

  it('auto makes a strong token; one shorter than 16 characters is refused', () => {
    const a = resolveOptions({ sinkToken: 'auto' }).sinkToken!;
    const b = resolveOptions({ sinkToken: 'auto' }).sinkToken!;
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a).not.toBe(b);
    expect(() => resolveOptions({ sinkToken: 'fifteen-chars!!' })).toThrow(/--sink-token must be 16 to/);
    expect(resolveOptions({ sinkToken: 'sixteen-chars!!!' }).sinkToken).toBe('sixteen-chars!!!');
  });

  it('failed hellos back off per address: even the right token waits, other addresses do not; all counted', async () => {
    const relay = await startWith({ sinkToken: TOKEN });
    const wrong = await hello(relay, '127.0.0.2', { token: 'not-the-token-0123456789' });
    expect(wrong.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/wrong sink token/) });
    const during = await hello(relay, '127.0.0.2', { token: TOKEN });
    expect(during.admitted).toBe(false);
    expect(during.error!.message).toMatch(/too many failed sink hellos from 127\.0\.0\.2: wait 1 s/);
    expect((await hello(relay, '127.0.0.3', { token: TOKEN })).admitted).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await hello(relay, '127.0.0.2', { token: TOKEN })).admitted).toBe(true);
    const text = (await fetchText(`${relay.httpUrl}/metrics`)).body;
    expect(metric(text, 'tdcrowd_sink_hellos_refused_total{why="token"}')).toBe(1);
    expect(metric(text, 'tdcrowd_sink_hellos_refused_total{why="backoff"}')).toBe(1);
    expect(relay.metrics().dropped.unauthorized).toBe(2);
  });
});

describe('sinks are bounded', () => {
  it('--max-sinks: one more is refused with 1013 and told why; a freed place admits the next', async () => {
    const relay = await startWith({ maxSinks: 2 });
    const first = keep(await sink(relay));
    keep(await sink(relay));
    const third = await hello(relay, '127.0.0.1');
    expect(third.error).toMatchObject({ code: 'too_many_sinks', message: expect.stringMatching(/2 sinks.*--max-sinks/) });
    await third.c.waitClosed();
    expect(third.c.closeCode).toBe(1013);
    first.close();
    await until(() => relay.metrics().connections.sink === 1, 'the first sink to be gone');
    expect((await hello(relay, '127.0.0.1')).admitted).toBe(true);
  });

  it('snapshots are rate-limited per address: a reconnect loop cannot make the relay send the crowd over and over', async () => {
    const users = 50;
    const relay = await startWith({ maxPerAddress: users, maxSinks: 100 });
    const phones = await Promise.all(Array.from({ length: users }, (_, i) => claim(relay, `p${i}`)));
    phones.forEach(keep);
    phones.forEach((c, i) => c.send(update(`p${i}`, 1)));
    await until(() => relay.metrics().users === users, 'every user present');
    const before = relay.metrics().messagesOut;
    const startedAt = Date.now();
    let admitted = 0;
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      const h = await hello(relay, '127.0.0.1');
      if (h.admitted) admitted++;
      else {
        refused++;
        // Snapshots run out first (burst 4), then hellos too (burst 8).
        expect(h.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/reconnect too often|too many sink hellos/) });
      }
      h.c.close();
      await h.c.waitClosed();
    }
    // The burst (4), and one more per 5 s the loop ran; each snapshot is 2 frames per user.
    expect(admitted).toBeGreaterThanOrEqual(4);
    expect(admitted).toBeLessThanOrEqual(4 + Math.ceil((Date.now() - startedAt) / 5000));
    expect(refused).toBe(30 - admitted);
    // Phones are also told when a sink comes or goes ({"type":"status"}, at most once a second): let the last
    // one go out, then count those apart from the snapshots.
    await sleep(1500);
    const statusFrames = phones.reduce((n, p) => n + p.messages.filter((m) => m.type === 'status').length, 0);
    expect(relay.metrics().messagesOut - before - statusFrames).toBeLessThanOrEqual(admitted * 2 * users + 30 * 2);
  });

  it('hellos are rate-limited per address: a flood against a full relay is cut short', async () => {
    const relay = await startWith({ maxSinks: 1 });
    keep(await sink(relay));
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(String((await hello(relay, '127.0.0.1')).error?.code));
    // The first sink's hello and seven more fill the burst of 8; then one a second (however slow this machine is,
    // the twelve do not take four seconds).
    expect(answers.slice(0, 7)).toEqual(Array(7).fill('too_many_sinks'));
    expect(answers.every((a) => a === 'too_many_sinks' || a === 'rate_limited')).toBe(true);
    const limited = answers.filter((a) => a === 'rate_limited').length;
    expect(limited).toBeGreaterThanOrEqual(1);
    const text = (await fetchText(`${relay.httpUrl}/metrics`)).body;
    expect(metric(text, 'tdcrowd_sink_hellos_refused_total{why="rate"}')).toBe(limited);
  });
});
