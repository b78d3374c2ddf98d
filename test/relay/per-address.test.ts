/**
 * A fair share per client address (issue 11, part 2): one machine cannot take every phone slot, hold many
 * half-open connections, or listen to a broadcast relay many times over. Other addresses are 127.0.0.x source
 * addresses (`localAddress`), which all reach the relay on loopback.
 */
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { DEFAULT_OPTIONS } from '../../src/relay/index.js';
import { update } from '../helpers/messages.js';
import { Peer, upgrade } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

const { start, keep } = useRelays();

async function phone(url: string, id: string, localAddress = '127.0.0.1'): Promise<{ c: Peer; answer: string }> {
  const c = keep(await Peer.open(url, { localAddress }));
  c.send({ type: 'connect', sliderId: id });
  const m = await c.waitForMessage((x) => x.type === 'welcome' || x.type === 'error', `an answer for ${id}`);
  return { c, answer: m.type === 'welcome' ? 'welcome' : String(m.code) };
}

describe('--max-per-address', () => {
  it('the default caps phones from one address, loopback included; other addresses still get in', async () => {
    const relay = await start({ rate: 1000, burst: 1000 });
    const cap = DEFAULT_OPTIONS.maxPerAddress;
    for (let i = 0; i < cap; i++) expect((await phone(relay.url, `squat-${i}`)).answer).toBe('welcome');
    const extra = await phone(relay.url, 'squat-extra');
    expect(extra.answer).toBe('address_full');
    await extra.c.waitClosed();
    expect(extra.c.closeCode).toBe(1013);
    // Honest phones on other addresses are not starved by the squatter.
    for (const ip of ['127.0.0.2', '127.0.0.3']) expect((await phone(relay.url, `honest-${ip.replaceAll('.', '-')}`, ip)).answer).toBe('welcome');
    expect(relay.metrics().connections.controller).toBe(cap + 2);
    expect(relay.metrics().dropped.address_full).toBe(1);
  });

  it('a phone that leaves frees its place for the next from that address', async () => {
    const relay = await start({ maxPerAddress: 2 });
    const a = await phone(relay.url, 'a');
    await phone(relay.url, 'b');
    expect((await phone(relay.url, 'c')).answer).toBe('address_full');
    a.c.close();
    await until(() => relay.metrics().connections.controller === 1, 'a to be gone');
    expect((await phone(relay.url, 'd')).answer).toBe('welcome');
  });

  it('connections that have not said who they are: at most the cap per address, refused at the upgrade (429)', async () => {
    const relay = await start({ maxPerAddress: 3 });
    const silent: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const u = await upgrade(relay.url, '127.0.0.1');
      expect(u.outcome).toBe('open');
      silent.push(u.ws);
    }
    const fourth = await upgrade(relay.url, '127.0.0.1');
    expect(fourth.outcome).toBe('HTTP 429');
    const elsewhere = await upgrade(relay.url, '127.0.0.2');
    expect(elsewhere.outcome).toBe('open');
    // One of them says who it is: no longer in handshake, so there is room again.
    silent[0]!.send(JSON.stringify({ type: 'connect', sliderId: 'x' }));
    await until(() => relay.metrics().connections.controller === 1, 'x to be a phone');
    const again = await upgrade(relay.url, '127.0.0.1');
    expect(again.outcome).toBe('open');
    for (const ws of [...silent, fourth.ws, elsewhere.ws, again.ws]) ws.terminate();
  });

  it('broadcast mode: at most --max-sinks silent listeners get the crowd; phones still get it once they speak', async () => {
    const relay = await start({ mode: 'broadcast', maxSinks: 2 });
    const listeners: Peer[] = [];
    for (const ip of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) listeners.push(keep(await Peer.open(relay.url, { localAddress: ip })));
    const p = await phone(relay.url, 'mover');
    p.c.send(update('mover', 42));
    await until(() => listeners.filter((l) => l.messages.some((m) => m.x === 42)).length === 2, 'two listeners to get the update');
    const late = await phone(relay.url, 'late', '127.0.0.5');
    p.c.send(update('mover', 43));
    await late.c.waitForMessage((m) => m.sliderId === 'mover' && m.x === 43, 'the phone that spoke to get the broadcast');
    // The third listener never got anything of the crowd.
    await new Promise((r) => setTimeout(r, 100));
    expect(listeners.filter((l) => l.messages.some((m) => m.sliderId === 'mover')).length).toBe(2);
  });
});
