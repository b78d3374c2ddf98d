/**
 * Peer addresses as every per-address rule counts them (issue 11, part 0): IPv4-mapped IPv6 is the IPv4
 * address, IPv6 counts per /64, and X-Forwarded-For is believed only from --trust-proxy peers. The forwarded
 * addresses below are documentation ranges carried in a header on loopback; no traffic leaves the machine.
 */
import { describe, expect, it } from 'vitest';
import { AddressBlocks } from '../../src/relay/address-blocks.js';
import { addressOf, canonicalIp } from '../../src/relay/client-address.js';
import { resolveOptions } from '../../src/relay/index.js';
import { Peer, claim as claimPhone } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';

const { start, keep } = useRelays();

describe('addressOf', () => {
  it('an IPv4-mapped IPv6 address is the IPv4 address', () => {
    expect(addressOf('::ffff:127.0.0.1')).toEqual({ ip: '127.0.0.1', key: '127.0.0.1' });
    expect(addressOf('::FFFF:7f00:2')).toEqual({ ip: '127.0.0.2', key: '127.0.0.2' });
    expect(canonicalIp('2001:DB8:0:0::1')).toBe('2001:db8::1');
  });

  it('IPv6 addresses count per /64', () => {
    const a = addressOf('2001:db8:1:2:aaaa::1');
    const b = addressOf('2001:db8:1:2:bbbb:cccc:dddd:2');
    const c = addressOf('2001:db8:1:3::1');
    expect(a.key).toBe('2001:db8:1:2::/64');
    expect(b.key).toBe(a.key);
    expect(c.key).not.toBe(a.key);
    expect(a.ip).toBe('2001:db8:1:2:aaaa::1');
  });

  it('address blocks match mapped and plain forms alike', () => {
    const blocks = AddressBlocks.parse(['127.0.0.1/32', '::ffff:10.0.0.0/104', '2001:db8::/32']);
    expect(blocks.has('127.0.0.1')).toBe(true);
    expect(blocks.has('::ffff:127.0.0.1')).toBe(true);
    expect(blocks.has('127.0.0.2')).toBe(false);
    expect(blocks.has('10.1.2.3')).toBe(true);
    expect(blocks.has('2001:db8:ffff::1')).toBe(true);
    expect(blocks.has('2001:db9::1')).toBe(false);
    expect(() => AddressBlocks.parse(['999.1.1.1'])).toThrow(/999\.1\.1\.1/);
  });

  it('bad --trust-proxy and --sink-from entries are usage errors naming the flag', () => {
    expect(() => resolveOptions({ trustProxy: ['10.0.0.0/99'] })).toThrow(/--trust-proxy/);
    expect(() => resolveOptions({ sinkFrom: ['not-an-address'] })).toThrow(/--sink-from/);
    expect(resolveOptions({ trustProxy: ['loopback', '10.0.0.0/8'] }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
  });
});

describe('X-Forwarded-For', () => {
  const from = (relay: { url: string }, forwardedFor: string): Promise<Peer> =>
    Peer.open(relay.url, { headers: { 'x-forwarded-for': forwardedFor } });

  async function claim(c: Peer, id: string): Promise<'welcome' | string> {
    c.send({ type: 'connect', sliderId: id });
    const m = await c.waitForMessage((x) => x.type === 'welcome' || x.type === 'error', `an answer for ${id}`);
    return m.type === 'welcome' ? 'welcome' : String(m.code);
  }

  it('is ignored without --trust-proxy: the peer is the client, whatever the header says', async () => {
    const relay = await start({ maxPerAddress: 1 });
    expect(await claim(keep(await from(relay, '198.51.100.1')), 'a')).toBe('welcome');
    expect(await claim(keep(await from(relay, '198.51.100.2')), 'b')).toBe('address_full');
  });

  it('names the client when the peer is a trusted proxy; IPv6 clients count per /64', async () => {
    const relay = await start({ maxPerAddress: 1, trustProxy: ['127.0.0.1/32'] });
    expect(await claim(keep(await from(relay, '198.51.100.1')), 'a')).toBe('welcome');
    expect(await claim(keep(await from(relay, '198.51.100.2')), 'b')).toBe('welcome');
    // The proxy itself, and clients that spoof the hop before it, are still counted by the trusted hop's word.
    expect(await claim(keep(await from(relay, '203.0.113.9, 198.51.100.1')), 'c')).toBe('address_full');
    expect(await claim(keep(await from(relay, '2001:db8:1:2::1')), 'd')).toBe('welcome');
    expect(await claim(keep(await from(relay, '2001:db8:1:2::2')), 'e')).toBe('address_full');
    expect(await claim(keep(await from(relay, '2001:db8:1:3::1')), 'f')).toBe('welcome');
  });

  it('a refused phone is told which address is full and which flag decides', async () => {
    const relay = await start({ maxPerAddress: 1, trustProxy: ['loopback'] });
    keep(await claimPhone(relay, 'first'));
    const c = keep(await from(relay, '127.0.0.1'));
    c.send({ type: 'connect', sliderId: 'second' });
    const err = await c.waitForMessage((m) => m.type === 'error', 'the error');
    expect(err).toMatchObject({ code: 'address_full', message: expect.stringMatching(/127\.0\.0\.1.*--max-per-address 1/) });
    await c.waitClosed();
    expect(c.closeCode).toBe(1013);
  });
});
