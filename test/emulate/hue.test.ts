/**
 * The hue from the relay's connect lands in TouchDesigner's table: the generated scripts (generate
 * --extra-columns hue) under real python3 in the emulator, connected to the real relay's plain --local-port
 * listener while phones use wss://. A relay that sends no hue (an older one, or any other) leaves the column 0.
 */
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Bridge } from '../../src/emulate/bridge.js';
import { resolveOptions } from '../../src/generate/index.js';
import { startRelay } from '../../src/relay/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { claim, type Peer } from '../helpers/peers.js';
import { hasPython } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { byUser, HEADER, update } from './harness.js';

const WITH_HUE = [...HEADER, 'hue'];

describe.skipIf(!hasPython())('hue column from the relay (emulator, real python3)', () => {
  const cleanups = useCleanups();

  it("each row's hue is the one the relay gave that phone, from the snapshot and from a live connect", async () => {
    const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, tlsSelfSigned: true, localPort: 0 });
    cleanups.push(() => relay.close());
    const phones: Peer[] = [];
    cleanups.push(() => phones.forEach((p) => p.terminate()));
    const ws = { ca: relay.tls!.cert };
    for (const id of ['a', 'b']) phones.push(await claim(relay, id, { ws }));
    phones[0]!.send(update('a', 10, 20, 30, 40));

    const bridge = new Bridge({ url: relay.localUrl!, options: resolveOptions({ extraColumns: 'hue', timeout: 0 }) });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    await until(() => relay.metrics().connections.sink === 1 || undefined, 'the emulated TouchDesigner admitted on the local port');
    phones.push(await claim(relay, 'c', { ws })); // joins after TouchDesigner: a live connect

    const hueOf = (i: number): string => String(phones[i]!.ofType('welcome')[0]!.hue);
    const users = await until(async () => {
      const u = byUser((await bridge.state()).table, WITH_HUE);
      return u.size === 3 && u.get('a')?.[0] === '10' && u;
    }, 'three rows with a moved');
    expect(users.get('a')).toEqual(['10', '20', '30', '40', hueOf(0)]);
    expect(users.get('b')).toEqual(['0', '0', '0', '0', hueOf(1)]);
    expect(users.get('c')).toEqual(['0', '0', '0', '0', hueOf(2)]);
    expect(new Set([hueOf(0), hueOf(1), hueOf(2)]).size).toBe(3);
  });

  it('a relay that sends no hue leaves the column 0, without an error', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanups.push(() => new Promise((r) => wss.close(() => r(undefined))));
    wss.on('connection', (sock) => {
      sock.once('message', () => {
        // after the hello, what a relay before hues sends
        sock.send(JSON.stringify({ type: 'connect', sliderId: 'old' }));
        sock.send(JSON.stringify(update('old', 5, 6, 7, 8)));
      });
    });
    const port = (wss.address() as { port: number }).port;
    const bridge = new Bridge({ url: `ws://127.0.0.1:${port}`, options: resolveOptions({ extraColumns: 'hue', timeout: 0 }) });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    const users = await until(async () => {
      const u = byUser((await bridge.state()).table, WITH_HUE);
      return u.get('old')?.[0] === '5' && u;
    }, 'the row of the old relay');
    expect(users.get('old')).toEqual(['5', '6', '7', '8', '0']);
    const state = await bridge.state();
    expect(state.errors).toEqual([]);
    expect(state.stats).toMatchObject({ applied: 2, ignored: {} });
  });
});
