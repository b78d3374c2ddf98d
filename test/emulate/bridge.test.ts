/**
 * `tdcrowd emulate`: the generated scripts, running in the emulator, against real sockets on loopback —
 * first a small scripted `ws` server, then the real relay with real phone clients.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Bridge } from '../../src/emulate/bridge.js';
import { renderBoxed } from '../../src/emulate/table-view.js';
import { resolveOptions } from '../../src/generate/index.js';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { CLI, requireBuiltCli } from '../helpers/paths.js';
import { Peer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { hasPython } from '../helpers/requirements.js';
import { sleep, until } from '../helpers/wait.js';
import { byUser, update } from './harness.js';


interface Conn {
  ws: WebSocket;
  received: string[];
  pongs: string[];
}

async function scriptedServer(): Promise<{ wss: WebSocketServer; url: string; conns: Conn[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const conns: Conn[] = [];
  wss.on('connection', (ws) => {
    const c: Conn = { ws, received: [], pongs: [] };
    ws.on('message', (d) => c.received.push(d.toString()));
    ws.on('pong', (d) => c.pongs.push(d.toString()));
    conns.push(c);
  });
  const addr = wss.address();
  if (addr === null || typeof addr === 'string') throw new Error('unexpected address');
  return { wss, url: `ws://127.0.0.1:${addr.port}`, conns };
}

describe.skipIf(!hasPython())('tdcrowd emulate bridge', () => {
  const cleanups = useCleanups();

  it('plays the WebSocket DAT against a ws server: hello, rows, pings, pong, delete, reconnect after a cut', async () => {
    const srv = await scriptedServer();
    cleanups.push(() => new Promise((r) => srv.wss.close(() => r(undefined))));
    const bridge = new Bridge({ url: srv.url, options: resolveOptions({ sinkToken: 'bridge-token-0123456789' }) });
    cleanups.push(() => bridge.stop());
    await bridge.start();

    const first = await until(() => (srv.conns[0]?.received.length ? srv.conns[0] : undefined), 'a connection with hello');
    expect(JSON.parse(first.received[0] ?? '')).toEqual({ type: 'hello', role: 'sink', token: 'bridge-token-0123456789' });
    for (const m of [update(1, 10, 20, 30, 40), update('phone-b', -5, 5, 50, 180), { type: 'connect', sliderId: 3 }]) first.ws.send(JSON.stringify(m));
    let users = await until(async () => {
      const u = byUser((await bridge.state()).table);
      return u.size === 3 && u;
    }, 'three rows');
    expect(users.get('1')).toEqual(['10', '20', '30', '40']);
    expect(users.get('phone-b')).toEqual(['-5', '5', '50', '180']);

    first.ws.send('ping');
    first.ws.ping(Buffer.from('hb-1'));
    await until(() => first.received.includes('pong') && first.pongs.includes('hb-1'), 'text pong and protocol pong');

    first.ws.send(JSON.stringify({ type: 'delete', sliderId: 'phone-b', reason: 'closed' }));
    users = await until(async () => {
      const u = byUser((await bridge.state()).table);
      return u.size === 2 && u;
    }, 'the delete');
    expect(users.has('phone-b')).toBe(false);

    // cut the connection without a close handshake: the scripts back off ~1 s, reconnect and say hello again
    bridge.dropSocket();
    const second = await until(() => (srv.conns[1]?.received.length ? srv.conns[1] : undefined), 'a second connection with hello', 10_000);
    expect(JSON.parse(second.received[0] ?? '').type).toBe('hello');
    second.ws.send(JSON.stringify(update(9, 1, 1, 1, 1)));
    await until(async () => byUser((await bridge.state()).table).has('9'), 'the new row');
    const s = await bridge.state();
    expect(s.errors).toEqual([]);
    expect(renderBoxed(s, { url: srv.url, socketOpen: true }, 10)).toMatch(/user.*valuex[\s\S]*\b9\b/);
  });

  it('a socket that never opened is a failed attempt: the variant decides the callback, and a later attempt gets a new socket', async () => {
    // a port with nothing listening: take one, then close it
    const probe = await scriptedServer();
    const port = Number(new URL(probe.url).port);
    await new Promise((r) => probe.wss.close(() => r(undefined)));
    const url = `ws://127.0.0.1:${port}`;
    // with onDisconnect for failed attempts, the generated scripts' onDisconnect plans the retry
    const bridge = new Bridge({ url, options: resolveOptions({}), variants: { failed_connect_disconnect: true } });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    const failed = await until(async () => {
      const s = await bridge.state();
      return s.attempts.length >= 1 && !s.attempting && !s.connected && s;
    }, 'the first attempt to fail');
    expect(failed.connects).toBe(0);
    expect(bridge.net.opens).toBe(0);
    // the relay comes up on that port: the retry opens a fresh socket and connects
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanups.push(() => {
      for (const c of wss.clients) c.terminate(); // the bridge is still connected: close() would wait for it
      return new Promise((r) => wss.close(() => r(undefined)));
    });
    const hello = new Promise<string>((r) => wss.once('connection', (ws) => ws.once('message', (d) => r(d.toString()))));
    expect(JSON.parse(await hello).type).toBe('hello');
    const s = await until(async () => {
      const st = await bridge.state();
      return st.connected && st;
    }, 'connected');
    expect(s.attempts.length).toBeGreaterThanOrEqual(2);
    expect(s.connects).toBe(1);
    expect(s.errors).toEqual([]);
  });

  it('the CLI prints a snapshot with --once, and rejects a missing or malformed --url with exit 2', async () => {
    requireBuiltCli();
    const srv = await scriptedServer();
    cleanups.push(() => new Promise((r) => srv.wss.close(() => r(undefined))));
    srv.wss.on('connection', (ws) => {
      ws.once('message', () => {
        for (let i = 0; i < 4; i++) ws.send(JSON.stringify(update(i, i, i, i, i)));
      });
    });
    const run = (args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [CLI, 'emulate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('exit', (code) => resolve({ code, out, err }));
      });
    const ok = await run(['--url', srv.url, '--once', '--settle', '0.5', '--normalize']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('connected');
    expect(ok.out).toContain('user\tvaluex\tvaluey\tspeed\tangle');
    expect(ok.out).toMatch(/^3\t0\.017\d*\t0\.017\d*\t3\t3$/m);
    for (const args of [[], ['--url', 'http://x'], ['--url', 'nope'], ['--url', srv.url, '--table', '1x']]) {
      const bad = await run(args);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.err).toMatch(/--url|--table/);
    }
  });

  it('against the real relay: rows follow real phones, deletes remove them, a cut sink refills from the snapshot', async () => {
    const relay: RelayHandle = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, heartbeatMs: 500 });
    cleanups.push(() => relay.close());
    const phones: Peer[] = [];
    cleanups.push(() => phones.forEach((p) => p.terminate()));
    for (let i = 0; i < 5; i++) {
      const p = await Peer.open(relay.url);
      p.send({ type: 'connect', sliderId: `phone${i}` });
      phones.push(p);
    }
    // no pruning: rows go only by the relay's deletes, and none can expire while the test waits for the others
    const bridge = new Bridge({ url: relay.url, options: resolveOptions({ timeout: 0 }) });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    await until(() => relay.metrics().connections.sink === 1, 'the bridge admitted as a sink');
    phones.forEach((p, i) => p.send(update(`phone${i}`, i * 10, -i * 10, i * 5, i * 30)));
    await until(async () => {
      const u = byUser((await bridge.state()).table);
      return u.size === 5 && u.get('phone4')?.[0] === '40' && u;
    }, 'five live rows');

    // a phone's socket closes: the relay sends delete (reason closed); the row goes
    phones[2]?.close();
    await until(async () => !byUser((await bridge.state()).table).has('phone2'), 'phone2 removed');
    // a phone says delete itself
    phones[3]?.send({ type: 'delete', sliderId: 'phone3' });
    await until(async () => !byUser((await bridge.state()).table).has('phone3'), 'phone3 removed');

    // the relay's 500 ms heartbeat pings the sink; onReceivePing's sendPong keeps it admitted
    const opensBefore = bridge.net.opens;
    const pingsBefore = bridge.net.pings;
    await until(() => bridge.net.pings >= pingsBefore + 3, 'three more heartbeat pings');
    expect(bridge.net.opens).toBe(opensBefore);

    // kill the sink's socket and clear the table as a restarted TouchDesigner would have it: the scripts
    // reconnect by themselves and the relay's snapshot refills the table
    bridge.dropSocket();
    await bridge.emu.request('start');
    expect((await bridge.state()).table).toEqual([['user', 'valuex', 'valuey', 'speed', 'angle']]);
    const users = await until(async () => {
      const u = byUser((await bridge.state()).table);
      return u.size === 3 && u;
    }, 'the snapshot after reconnecting', 10_000);
    expect([...users.keys()].sort()).toEqual(['phone0', 'phone1', 'phone4']);
    expect(users.get('phone4')).toEqual(['40', '-40', '20', '120']);
    expect(bridge.net.opens).toBe(opensBefore + 1);
    expect((await bridge.state()).errors).toEqual([]);
  });

  it('`tdcrowd emulate` started before the relay connects once the relay listens (the venue start order)', async () => {
    requireBuiltCli();
    const port = await freePort();
    const emulate = spawn(process.execPath, [CLI, 'emulate', '--url', `ws://127.0.0.1:${port}`, '--duration', '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void emulate.kill('SIGKILL'));
    let out = '';
    emulate.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // TouchDesigner first: several failed attempts before anything listens
    await sleep(6000);
    expect(out).not.toMatch(/^connected/m);
    const relay: RelayHandle = await startRelay({ port, host: '127.0.0.1', quiet: true });
    cleanups.push(() => relay.close());
    const t0 = Date.now();
    // generous: the scripts retry at most every 2.25 s while they have never connected
    await until(() => relay.metrics().connections.sink === 1, 'the emulated TouchDesigner admitted as a sink', 20_000);
    const took = Date.now() - t0;
    const phone = await Peer.open(relay.url);
    cleanups.push(() => phone.terminate());
    phone.send({ type: 'connect', sliderId: 'late-phone' });
    phone.send(update('late-phone', 12, 34, 5, 6));
    await until(() => /^late-phone\t12\t34\t5\t6$/m.test(out), 'the phone in the printed table', 20_000);
    expect(took).toBeLessThan(20_000);
  }, 60_000);

  it('against the real relay in broadcast mode: --mode broadcast sends no hello and still fills the table', async () => {
    const relay: RelayHandle = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, mode: 'broadcast' });
    cleanups.push(() => relay.close());
    const bridge = new Bridge({ url: relay.url, options: resolveOptions({ mode: 'broadcast', timeout: 0 }) });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    await until(async () => (await bridge.state()).connected, 'the bridge connected');
    const phones: Peer[] = [];
    cleanups.push(() => phones.forEach((p) => p.terminate()));
    for (let i = 0; i < 3; i++) {
      const p = await Peer.open(relay.url);
      p.send({ type: 'connect', sliderId: i });
      p.send(update(i, i, i, i, i));
      phones.push(p);
    }
    const users = await until(async () => {
      const u = byUser((await bridge.state()).table);
      return u.size === 3 && u;
    }, 'three rows');
    expect(users.get('2')).toEqual(['2', '2', '2', '2']);
    const s = await bridge.state();
    expect(s.outbox.filter((o) => o.data.includes('hello'))).toEqual([]);
    expect(s.errors).toEqual([]);
  });
});
