/**
 * The client registry's bookkeeping: roles change only through it, caps hold, and every count returns to zero
 * when the connections are gone (so per-address state is bounded by open connections, whatever an attacker
 * cycles through).
 */
import { describe, expect, it } from 'vitest';
import { addressOf } from '../../src/relay/client-address.js';
import { ClientRegistry } from '../../src/relay/clients.js';
import type { Connection } from '../../src/relay/connection.js';

/** What the registry reads of a connection: its role and its address. */
function conn(ip: string): Connection {
  return { role: 'unknown', address: addressOf(ip) } as unknown as Connection;
}

/** A connection as the relay makes one: a handshake slot first, then the open connection. */
function opened(r: ClientRegistry, ip: string): Connection {
  const c = conn(ip);
  expect(r.startHandshake(c.address.key)).toBe(true);
  r.add(c);
  return c;
}

const perAddress = (r: ClientRegistry): Map<string, unknown> => (r as unknown as { perAddress: Map<string, unknown> }).perAddress;

describe('ClientRegistry', () => {
  it('caps phones per address and in all, sets roles, and counts by role', () => {
    const r = new ClientRegistry({ maxControllers: 3, maxPerAddress: 2, maxSinks: 1 });
    const a1 = opened(r, '10.0.0.1');
    expect(r.becomeController(a1)).toBeUndefined();
    const a2 = opened(r, '::ffff:10.0.0.1'); // the same address, mapped
    expect(r.becomeController(a2)).toBeUndefined();
    const a3 = opened(r, '10.0.0.1');
    expect(r.becomeController(a3)).toBe('address_full');
    expect(a3.role).toBe('unknown');
    const b = opened(r, '10.0.0.2');
    expect(r.becomeController(b)).toBeUndefined();
    const c = opened(r, '10.0.0.3');
    expect(r.becomeController(c)).toBe('server_full');
    const s = opened(r, '127.0.0.1');
    expect(r.becomeSink(s)).toBeUndefined();
    expect(r.becomeSink(opened(r, '127.0.0.1'))).toBe('too_many_sinks');
    expect(r.counts()).toEqual({ controller: 3, sink: 1, unknown: 3 });
    expect([a1.role, s.role]).toEqual(['controller', 'sink']);
  });

  it('unidentified connections per address are capped at the handshake and freed when they speak or go', () => {
    const r = new ClientRegistry({ maxControllers: 100, maxPerAddress: 2, maxSinks: 4 });
    const x = opened(r, '10.0.0.9');
    opened(r, '10.0.0.9');
    expect(r.startHandshake('10.0.0.9')).toBe(false);
    expect(r.startHandshake('10.0.0.8')).toBe(true);
    r.handshakeFailed('10.0.0.8');
    expect(r.becomeController(x)).toBeUndefined();
    expect(r.startHandshake('10.0.0.9')).toBe(true);
  });

  it('every count returns to zero once the connections are gone: no per-address state is left behind', () => {
    const r = new ClientRegistry({ maxControllers: 10_000, maxPerAddress: 8, maxSinks: 4 });
    const all: Connection[] = [];
    for (let i = 0; i < 1000; i++) {
      const c = opened(r, `2001:db8:${i.toString(16)}::1`);
      if (i % 3 === 0) r.becomeController(c);
      if (i % 3 === 1) r.admitListener(c);
      all.push(c);
    }
    const taken = opened(r, '10.0.0.1');
    r.becomeController(taken);
    r.releaseSlot(taken); // a take-over: the slot is free before the socket has closed
    all.push(taken);
    // The taken-over one holds nothing any more: its address has no entry left.
    expect(perAddress(r).size).toBe(1000);
    for (const c of all) r.remove(c);
    expect(perAddress(r).size).toBe(0);
    expect(r.counts()).toEqual({ controller: 0, sink: 0, unknown: 0 });
  });

  it('broadcast listeners: at most --max-sinks silent connections, a place freed when one speaks', () => {
    const r = new ClientRegistry({ maxControllers: 100, maxPerAddress: 8, maxSinks: 2 });
    const [l1, l2, l3] = [opened(r, '10.0.0.1'), opened(r, '10.0.0.2'), opened(r, '10.0.0.3')];
    expect(r.admitListener(l1)).toBe(true);
    expect(r.admitListener(l2)).toBe(true);
    expect(r.admitListener(l3)).toBe(false);
    r.becomeController(l1);
    expect(r.admitListener(l3)).toBe(true);
  });
});
