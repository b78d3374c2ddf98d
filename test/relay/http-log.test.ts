import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, isLogEntry, logEntrySchema, parse, type Origin } from '../../src/protocol/index.js';
import type { RelayHandle } from '../../src/relay/index.js';
import { VERSION } from '../../src/version.js';
import { fetchText } from '../helpers/http.js';
import { update } from '../helpers/messages.js';
import { metric } from '../helpers/metrics.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

let relay: RelayHandle | undefined;
const { start, keep } = useRelays();
const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTP', () => {
  it('/healthz reports ok, version, mode, uptime, connections, users and sinks', async () => {
    relay = await start({ mode: 'broadcast' });
    keep(await sink(relay));
    keep(await claim(relay, 1));
    keep(await Peer.open(relay.url));
    const r = await fetchText(`${relay.httpUrl}/healthz`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/application\/json/);
    expect(JSON.parse(r.body)).toEqual({
      ok: true,
      status: 'ok',
      version: VERSION,
      mode: 'broadcast',
      uptimeS: expect.any(Number),
      connections: { controller: 1, sink: 1, unknown: 1 },
      users: 1,
      sinks: { websocket: 1, osc: 0 },
    });
  });

  it('/metrics is Prometheus text with connections, messages, drops by reason and the latency histogram', async () => {
    relay = await start();
    const s = keep(await sink(relay));
    const c = keep(await claim(relay, 1));
    for (let i = 0; i < 5; i++) c.send(update(1, i));
    c.send('garbage');
    await until(() => s.ofType('update').length === 5, 'updates');
    await until(() => relay!.metrics().dropped.not_json === 1, 'the drop');
    const r = await fetchText(`${relay.httpUrl}/metrics`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/text\/plain/);
    const m = (series: string): number | undefined => metric(r.body, series);
    expect(m('tdcrowd_connections{role="controller"}')).toBe(1);
    expect(m('tdcrowd_connections{role="sink"}')).toBe(1);
    expect(m('tdcrowd_connections{role="unknown"}')).toBe(0);
    expect(m('tdcrowd_users')).toBe(1);
    expect(m('tdcrowd_messages_in_total')).toBe(1 + 1 + 5 + 1);
    // connect + 5 updates to the sink, welcome and one error to the controller
    expect(m('tdcrowd_messages_out_total')).toBe(6 + 2);
    for (const reason of ERROR_CODES) expect(m(`tdcrowd_dropped_total{reason="${reason}"}`)).toBe(reason === 'not_json' ? 1 : 0);
    expect(r.body).toContain('# TYPE tdcrowd_forward_latency_seconds histogram');
    expect(m('tdcrowd_forward_latency_seconds_count')).toBe(6);
    expect(m('tdcrowd_forward_latency_seconds_bucket{le="+Inf"}')).toBe(6);
    expect(m('tdcrowd_forward_latency_seconds_bucket{le="5"}')).toBe(6);
    // Every sample line of the relay's own is `name{labels} number` (process metrics: test/relay/metrics.test.ts).
    for (const line of r.body.trim().split('\n')) {
      if (line.startsWith('tdcrowd_')) expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+$/);
    }
  });

  it('serves the joystick page at / and 404 elsewhere', async () => {
    relay = await start();
    const page = await fetchText(`${relay.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect((await fetchText(`${relay.httpUrl}/no-such-thing`)).status).toBe(404);
  });
});

describe('--log', () => {
  it('writes one LogEntry per frame in and out; each msg validates; drops carry their reason; flushed on close', async () => {
    const file = join(dir, 'relay.jsonl');
    relay = await start({ log: file, textPingMs: 50 });
    const s = keep(await sink(relay));
    const c = keep(await claim(relay, 'a'));
    c.send(update('a', 1));
    c.send('{"x":\n'); // not JSON (and spans lines)
    c.send(update('b', 2)); // id_mismatch
    c.send('ping');
    await c.waitForMessage((m) => m.type === 'error', 'an error');
    await until(() => s.frames.includes('ping'), 'a text ping at the sink');
    s.send('pong');
    c.send({ type: 'delete', sliderId: 'a' });
    await s.waitForMessage((m) => m.type === 'delete', 'the delete');
    await until(() => relay!.metrics().messagesIn === 8, 'all frames in');
    const outCount = relay.metrics().messagesOut;
    await relay.close();
    relay = undefined;

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map((l) => JSON.parse(l) as unknown);
    for (const e of entries) {
      expect(isLogEntry(e)).toBe(true);
      if (!isLogEntry(e)) continue;
      expect(Object.keys(e).every((k) => k in logEntrySchema.properties)).toBe(true);
      expect(e.ts).toBeGreaterThan(1.6e12);
      if (e.drop !== undefined) {
        expect(e.dir).toBe('in');
        expect(ERROR_CODES).toContain(e.drop);
        continue;
      }
      const origin: Origin = e.dir === 'out' ? 'relay' : e.role === 'unknown' ? 'any' : e.role;
      const text = typeof e.msg === 'string' ? e.msg : JSON.stringify(e.msg);
      expect(parse(text, { origin }), `${JSON.stringify(e)}`).toMatchObject({ ok: true });
    }
    const ins = entries.filter((e) => isLogEntry(e) && e.dir === 'in');
    const outs = entries.filter((e) => isLogEntry(e) && e.dir === 'out');
    expect(ins).toHaveLength(8);
    expect(outs).toHaveLength(outCount);
    expect(ins.filter((e) => isLogEntry(e) && e.drop !== undefined).map((e) => (e as { drop: string }).drop)).toEqual(['not_json', 'id_mismatch']);
    expect(ins).toContainEqual(expect.objectContaining({ dir: 'in', role: 'controller', msg: '{"x":\n', drop: 'not_json' }));
    expect(ins).toContainEqual(expect.objectContaining({ dir: 'in', role: 'sink', msg: { type: 'hello', role: 'sink' } }));
    expect(outs).toContainEqual(expect.objectContaining({ role: 'sink', msg: { type: 'delete', sliderId: 'a', reason: 'client' } }));
    // Connection numbers tell the sink and the controller apart.
    const conns = new Set(entries.map((e) => (e as { conn: number }).conn));
    expect(conns.size).toBe(2);
  });

  it('a log path that cannot be opened fails the start', async () => {
    await expect(start({ log: join(dir, 'missing-dir', 'x.jsonl') })).rejects.toThrow(/ENOENT/);
  });
});
