/**
 * relay --osc: every connect, update and delete goes out as OSC over real UDP on loopback, decoded here by
 * node-osc: the address scheme and argument types, bundles per tick that each fit one datagram, one datagram
 * per message with --osc-hz 0, the slow snapshot that heals lost datagrams, the per-target rate cap, the OSC
 * target counted as a sink, and, end to end, the generated OSC In DAT callbacks fed from the socket in the
 * emulator keeping the same table as a WebSocket sink.
 */
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { decode, encode, Message } from 'node-osc';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorProcess } from '../../src/emulate/process.js';
import { renderScripts, resolveOptions } from '../../src/generate/index.js';
import { encodeUpdate, OSC_ADDRESS, parseOscTarget } from '../../src/relay/osc-out.js';
import { hasNumpy, hasPython } from '../helpers/requirements.js';
import { fetchText } from '../helpers/http.js';
import { tableOf, update } from '../helpers/messages.js';
import { metric } from '../helpers/metrics.js';
import { claim, sink, type Peer } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

interface OscMsg {
  address: string;
  args: unknown[];
  /** The OSC type tags of the arguments, read from the datagram. */
  types: string;
}

/** A UDP receiver on loopback that decodes every datagram with node-osc. */
class Receiver {
  readonly datagrams: Buffer[] = [];
  readonly messages: OscMsg[] = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (buf) => {
      this.datagrams.push(buf);
      const walk = (p: { oscType: string; address?: string; args?: { value: unknown }[]; elements?: unknown[] }, raw: Buffer): void => {
        if (p.oscType === 'bundle') {
          // elements follow "#bundle\0" and the timetag, each as a 4-byte size and its bytes
          let at = 16;
          for (const e of p.elements ?? []) {
            const size = raw.readUInt32BE(at);
            walk(e as typeof p, raw.subarray(at + 4, at + 4 + size));
            at += 4 + size;
          }
          return;
        }
        this.messages.push({ address: p.address ?? '', args: (p.args ?? []).map((a) => a.value), types: typeTags(raw) });
      };
      walk(decode(buf) as Parameters<typeof walk>[0], buf);
    });
  }

  static async open(): Promise<Receiver> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new Receiver(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  of(address: string, id?: string): OscMsg[] {
    return this.messages.filter((m) => m.address === address && (id === undefined || m.args[0] === id));
  }

  close(): void {
    this.socket.close();
  }
}

/** The type tag string of one OSC message (after its padded address). */
function typeTags(raw: Buffer): string {
  const end = raw.indexOf(0);
  const at = (end + 4) & ~3;
  return raw.toString('ascii', at + 1, raw.indexOf(0, at));
}

const { start, keep } = useRelays();
const receivers: Receiver[] = [];
afterEach(() => {
  for (const r of receivers.splice(0)) r.close();
});
const receiver = async (): Promise<Receiver> => {
  const r = await Receiver.open();
  receivers.push(r);
  return r;
};

describe('relay --osc', () => {
  it("encodes an update with the same bytes as node-osc's encoder, whatever the id's length", () => {
    for (const id of ['1', 'ab', 'abc', 'abcd', 'abcde', '9007199254740991', 'x'.repeat(63), 'y'.repeat(64), 'a-b_C9']) {
      for (const v of [[0, 0, 0, 0], [1.1, -170, 100, 360], [-0.5, 170, 0.25, 359.9]] as const) {
        const lib = encode(new Message(OSC_ADDRESS.update, { type: 's', value: id }, ...v.map((value) => ({ type: 'f', value }))));
        expect(encodeUpdate(id, v[0], v[1], v[2], v[3]).equals(lib), `${id} ${v.join()}`).toBe(true);
      }
    }
  });

  it('sends connect, update and delete with ids as OSC strings and numbers as float32, bundled per tick', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }], oscHz: 50 });
    const big = 9007199254740991;
    const c = keep(await claim(relay, big));
    c.send(update(big, 1.1, -20));
    c.send(update(big, 2.2, -30)); // same tick: only the latest goes
    const upd = await until(() => rx.of(OSC_ADDRESS.update, String(big))[0], 'the update');
    expect(rx.of(OSC_ADDRESS.connect, String(big))).toEqual([{ address: '/tdcrowd/connect', args: [String(big), expect.any(Number)], types: 'si' }]);
    expect(upd.types).toBe('sffff');
    expect(upd.args[1]).toBe(Math.fround(2.2));
    expect(upd.args[2]).toBe(-30);
    expect(rx.of(OSC_ADDRESS.update)).toHaveLength(1);
    c.send({ type: 'delete', sliderId: big });
    const del = await until(() => rx.of(OSC_ADDRESS.delete)[0], 'the delete');
    expect(del).toEqual({ address: '/tdcrowd/delete', args: [String(big), 'client'], types: 'ss' });
    // a socket that closes is a delete with reason closed
    const d = keep(await claim(relay, 'dee'));
    d.close();
    expect((await until(() => rx.of(OSC_ADDRESS.delete, 'dee')[0], 'closed delete')).args).toEqual(['dee', 'closed']);
    expect(rx.datagrams.every((b) => b.subarray(0, 8).toString('latin1') === '#bundle\0')).toBe(true);
  });

  it('with --osc-hz 0 sends each message as its own datagram, at once', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }], oscHz: 0 });
    const c = keep(await claim(relay, 'solo'));
    for (let i = 1; i <= 5; i++) c.send(update('solo', i * 10, 0));
    await until(() => rx.of(OSC_ADDRESS.update).length === 5 || undefined, 'five updates');
    expect(rx.of(OSC_ADDRESS.update).map((m) => m.args[1])).toEqual([10, 20, 30, 40, 50]);
    expect(rx.datagrams.every((b) => b[0] === 0x2f)).toBe(true); // '/': a message, not a bundle
  });

  it('splits a tick into bundles that each fit one datagram, losing nothing', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }], oscHz: 10, oscMaxDatagram: 600, maxPerAddress: 1000 });
    const ids = Array.from({ length: 120 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(61)}`); // 64-character ids
    const phones = await Promise.all(ids.map((id) => claim(relay, id)));
    phones.forEach(keep);
    phones.forEach((p, i) => p.send(update(ids[i]!, i, 0)));
    await until(() => new Set(rx.of(OSC_ADDRESS.update).map((m) => m.args[0])).size === ids.length || undefined, 'every update');
    expect(Math.max(...rx.datagrams.map((b) => b.length))).toBeLessThanOrEqual(600);
    expect(rx.datagrams.length).toBeGreaterThan(10);
    for (const [i, id] of ids.entries()) expect(rx.of(OSC_ADDRESS.update, id).at(-1)?.args[1]).toBe(i);
  });

  it('re-sends every live user at the snapshot interval (UDP may lose packets)', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }], oscHz: 50, oscSnapshotMs: 150 });
    const a = keep(await claim(relay, 'a'));
    keep(await claim(relay, 'b')); // connected, never moved
    a.send(update('a', 42, 0));
    await until(() => rx.of(OSC_ADDRESS.update, 'a').length >= 4 || undefined, 'a re-sent by snapshots');
    expect(rx.of(OSC_ADDRESS.update, 'a').every((m) => m.args[1] === 42)).toBe(true);
    await until(() => rx.of(OSC_ADDRESS.connect, 'b').length >= 3 || undefined, 'b re-sent as a connect');
  });

  it('caps each target at --osc-rate messages a second; deletes still arrive; the cap is counted', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }], oscHz: 20, oscRate: 100, oscSnapshotMs: 0, maxPerAddress: 1000 });
    const t0 = Date.now();
    const phones = await Promise.all(Array.from({ length: 80 }, (_, i) => claim(relay, `r${i}`)));
    phones.forEach(keep);
    for (let round = 0; round < 3; round++) phones.forEach((p, i) => p.send(update(`r${i}`, round + 1, 0)));
    phones[0]!.send({ type: 'delete', sliderId: 'r0' });
    await until(() => rx.of(OSC_ADDRESS.delete, 'r0')[0], 'the delete through the cap', 10_000);
    await until(() => new Set(rx.of(OSC_ADDRESS.update).map((m) => m.args[0])).size >= 79 || undefined, 'every user eventually', 10_000);
    const seconds = (Date.now() - t0) / 1000;
    // 80 connects + 79 latest updates + 1 delete, at 100 a second (the first second's bucket is full)
    expect(rx.messages.length).toBeLessThanOrEqual(100 * (seconds + 1) + 5);
    const text = (await fetchText(`${relay.httpUrl}/metrics`)).body;
    expect(metric(text, 'tdcrowd_dropped_total{reason="osc_rate"}')).toBeGreaterThan(0);
    expect(metric(text, 'tdcrowd_osc_messages_total')).toBe(rx.messages.length);
  });

  it('counts an OSC target as a sink: /healthz ok, phones told someone listens, no update dropped as no_sink', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }, { host: 'localhost', port: rx.port }] });
    const health = JSON.parse((await fetchText(`${relay.httpUrl}/healthz`)).body) as { status: string; sinks: { websocket: number; osc: number } };
    expect(health.sinks).toEqual({ websocket: 0, osc: 2 });
    expect(health.status).toBe('ok');
    const phone = keep(await claim(relay, 'lone'));
    phone.send(update('lone', 5, 5));
    await until(() => rx.of(OSC_ADDRESS.update, 'lone').length === 2 || undefined, 'the update at both targets');
    // without a receiver the phone would get {"type":"status","listening":false} right after its welcome
    expect(phone.messages.filter((m) => m.type === 'status')).toEqual([]);
    expect(relay.metrics().dropped.no_sink ?? 0).toBe(0);
  });

  it('without an OSC target or a sink, /healthz is degraded and the update is dropped as no_sink (the contrast)', async () => {
    const relay = await start();
    const health = JSON.parse((await fetchText(`${relay.httpUrl}/healthz`)).body) as { status: string };
    expect(health.status).toBe('degraded');
    const phone = keep(await claim(relay, 'lone'));
    await phone.waitForMessage((m) => m.type === 'status' && m.listening === false, 'listening false');
    phone.send(update('lone', 5, 5));
    await until(() => (relay.metrics().dropped.no_sink ?? 0) === 1 || undefined, 'the no_sink drop');
  });

  it('parses HOST:PORT and [v6]:PORT, refuses the rest; the CLI says so in one line with exit 2', () => {
    expect(parseOscTarget('127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseOscTarget('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseOscTarget('td-machine.local:7000')).toEqual({ host: 'td-machine.local', port: 7000 });
    for (const bad of ['127.0.0.1', ':7000', 'host:0', 'host:70000', 'osc://host:7000', 'a b:1']) expect(() => parseOscTarget(bad)).toThrow(/--osc takes HOST:PORT/);
    const cli = join(new URL('../../', import.meta.url).pathname, 'dist/cli/main.js');
    const r = spawnSync(process.execPath, [cli, 'relay', '--port', '0', '--osc', 'nowhere'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--osc takes HOST:PORT/);
  });

  it.skipIf(!hasPython() || !hasNumpy())('feeds the generated OSC In DAT callbacks the same table a WebSocket sink keeps (end to end, real UDP)', async () => {
    const rx = await receiver();
    const relay = await start({ osc: [{ host: '127.0.0.1', port: rx.port }], oscHz: 30, maxPerAddress: 1000 });
    const ws = keep(await sink(relay));
    const o = resolveOptions({ target: 'osc' });
    const emu = new EmulatorProcess();
    try {
      await emu.load({ target: 'osc', scripts: renderScripts(o), table: o.table, websocketDat: o.websocketDat, oscinDat: o.oscinDat, callbacksDat: o.callbacksDat, executeDat: o.executeDat, scriptChop: o.scriptChop, port: o.port });
      await emu.request('start');
      // what arrives on the socket goes to the OSC In DAT as TouchDesigner would hand it over
      let fed = 0;
      const feed = async (): Promise<void> => {
        const packets = rx.messages.slice(fed).map((m) => ({ address: m.address, args: m.args }));
        fed += packets.length;
        if (packets.length > 0) await emu.request('osc', { packets });
      };
      const phones: Peer[] = [];
      for (let i = 0; i < 20; i++) phones.push(keep(await claim(relay, i % 2 ? `p${i}` : i)));
      phones.forEach((p, i) => p.send(update(i % 2 ? `p${i}` : i, i * 5, -i)));
      phones[3]!.send({ type: 'delete', sliderId: 'p3' });
      phones[4]!.close();
      phones[6]!.send(update(6, 99, 1));
      await until(() => (tableOf(ws.messages).size === 18 && rx.of(OSC_ADDRESS.delete).length === 2) || undefined, 'the sink and OSC settled');
      await new Promise((r) => setTimeout(r, 150));
      await feed();
      await emu.request('step');
      const s = await emu.state();
      expect(s.errors).toEqual([]);
      const expected = [...tableOf(ws.messages)].map(([id, m]) => [id, [m.x, m.y, m.speed, m.angle].map((v) => Math.fround(v as number))]).sort();
      const got = s.table.slice(1).map((r) => [r[0], r.slice(1, 5).map(Number)]).sort();
      expect(got).toEqual(expected);
      expect(s.stats?.ignored).toEqual({});
    } finally {
      await emu.close();
    }
  });
});
