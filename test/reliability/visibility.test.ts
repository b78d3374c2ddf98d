/**
 * The operator can see the show (issue 11, part 7). Found: with no TouchDesigner connected, phones showed
 * "live", /healthz said ok, and updates vanished uncounted. Now: /healthz says degraded and why, updates no
 * sink could receive are counted (`no_sink`), phones are told `{"type":"status","listening":BOOL}`, and stdout
 * has one line per sink connect/disconnect plus a status line every few seconds (`--quiet` silences them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { renderBanner } from '../../src/relay/index.js';
import { update } from '../helpers/messages.js';
import { parseMetrics } from '../helpers/metrics.js';
import { CLI } from '../helpers/paths.js';
import { claim, Peer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { sleep, until } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // best effort
    }
  }
});

interface Relay {
  url: string;
  http: string;
  proc: ChildProcess;
  stdout: () => string;
}

/** `tdcrowd relay` as the operator runs it (not --quiet), on loopback. */
async function relay(flags: string[]): Promise<Relay> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', String(port), ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  cleanups.push(() => proc.kill('SIGKILL'));
  const http = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${http}/healthz`).catch(() => undefined))?.ok, 'the relay up');
  return { url: `ws://127.0.0.1:${port}`, http, proc, stdout: () => out };
}

async function healthz(r: Relay): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${r.http}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const statuses = (p: Peer): unknown[] => p.ofType('status').map((m) => m.listening);

describe('no sink connected', () => {
  it('healthz says degraded and why, updates are counted as no_sink, phones are told; all of it clears when a sink comes', async () => {
    const r = await relay(['--status-interval', '1']);
    const before = await healthz(r);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ ok: true, status: 'degraded', why: expect.stringMatching(/^no sink connected/) });

    const phone = await claim(r.url, 'lonely');
    cleanups.push(() => phone.close());
    await until(() => statuses(phone).length === 1, 'the phone told nobody listens');
    expect(statuses(phone)).toEqual([false]);
    // the status follows the welcome
    expect(phone.messages.map((m) => m.type)).toEqual(['welcome', 'status']);
    for (let i = 0; i < 5; i++) phone.send(update('lonely', i, 0));
    await until(async () => parseMetrics(await (await fetch(`${r.http}/metrics`)).text()).dropped.no_sink === 5, 'five updates counted as no_sink');

    const sink = await Peer.open(r.url);
    cleanups.push(() => sink.close());
    sink.send({ type: 'hello', role: 'sink', batchHz: 10 });
    await until(() => statuses(phone).length === 2, 'the phone told a sink listens');
    expect(statuses(phone)).toEqual([false, true]);
    expect((await healthz(r)).body).toMatchObject({ ok: true, status: 'ok' });
    expect((await healthz(r)).body.why).toBeUndefined();
    phone.send(update('lonely', 9, 9));
    await until(() => sink.ofType('batch').some((b) => (b.messages as { x?: number }[]).some((m) => m.x === 9)), 'the update at the sink');
    const m = parseMetrics(await (await fetch(`${r.http}/metrics`)).text());
    expect(m.dropped.no_sink).toBe(5);
    await until(() => /^\[\d\d:\d\d:\d\d\] 1 phone, 1 sink, \d+ msgs\/s in, \d+ out, (no drops|dropped .*)$/m.test(r.stdout()), 'a status line with the sink', 5000);

    sink.ws.close(1000);
    await until(() => statuses(phone).length === 3, 'the phone told the sink is gone');
    expect(statuses(phone)).toEqual([false, true, false]);
    expect((await healthz(r)).body.status).toBe('degraded');

    // The operator saw it all on stdout: the sink's arrival and departure, and status lines.
    await until(() => /\d phones?, 0 sinks/.test(r.stdout()), 'a status line after the sink left', 5000);
    const out = r.stdout();
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] sink #\d+ connected \(batches at 10 Hz\); 1 sink now$/m);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] sink #\d+ disconnected \(1000 closed normally\); no sink now: phones show "waiting for the show"/m);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] 1 phone, 0 sinks \(nobody receives the updates\), /m);
    expect(out).not.toContain('\x1b[');
  }, 30_000);

  it('a sink that flaps does not flood the phones: at most one status a second, the last one true to the state', async () => {
    const r = await relay(['--quiet']);
    const phone = await claim(r.url, 'p');
    cleanups.push(() => phone.close());
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      // each time from another loopback address: one address may not say hello this often (the relay limits
      // hellos and snapshots per address), and this test is about the phones' status, not that limit
      const s = await Peer.open(r.url, { localAddress: `127.0.0.${10 + i}` });
      s.send({ type: 'hello', role: 'sink' });
      await until(async () => (await healthz(r)).body.status === 'ok', 'the sink admitted');
      s.ws.close(1000);
      await s.closed;
    }
    const flapS = (Date.now() - started) / 1000;
    await sleep(1500);
    const seen = statuses(phone);
    expect(seen.at(-1)).toBe(false);
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(flapS) + 3);
    expect(seen.length).toBeLessThan(20);
  }, 30_000);

  it('--quiet: nothing on stdout, sinks and status lines included', async () => {
    const r = await relay(['--quiet', '--status-interval', '1']);
    const phone = await claim(r.url, 'q');
    cleanups.push(() => phone.close());
    const sink = await Peer.open(r.url);
    cleanups.push(() => sink.close());
    sink.send({ type: 'hello', role: 'sink' });
    phone.send(update('q', 1, 1));
    await until(() => sink.ofType('update').length === 1, 'the update');
    await sleep(1500);
    expect(r.stdout()).toBe('');
  }, 20_000);
});

describe('the banner', () => {
  const base = { port: 8080, mode: 'route' as const, version: '0.0.0', sinkToken: false };

  it('draws a QR code only for a terminal and an address phones can reach; never ANSI otherwise', async () => {
    const lan = await renderBanner({ ...base, host: '0.0.0.0', tty: true });
    expect(lan).toMatch(/[▄▀█]{3}/);
    for (const b of [await renderBanner({ ...base, host: '0.0.0.0', tty: false }), await renderBanner({ ...base, host: '127.0.0.1', tty: true })]) {
      expect(b).not.toMatch(/[▄▀█]{3}/);
      expect(b).not.toContain('\x1b[');
    }
    expect(await renderBanner({ ...base, host: '127.0.0.1', tty: true })).toContain('this machine only: use --host 0.0.0.0');
  });
});
