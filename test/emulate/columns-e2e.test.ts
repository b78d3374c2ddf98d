/**
 * f32-columns end to end over real sockets: the real relay on loopback, real phone clients, and two emulated
 * TouchDesigners (`tdcrowd emulate`'s bridge), one with the JSON scripts and one generated with
 * --encoding f32-columns. Both must end with the same table and Script CHOP; the f32 one must have got binary
 * batches (not JSON updates) after the relay's acknowledgement.
 */
import { describe, expect, it } from 'vitest';
import { Bridge } from '../../src/emulate/bridge.js';
import type { EmulatorState } from '../../src/emulate/process.js';
import { resolveOptions } from '../../src/generate/index.js';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { Peer } from '../helpers/peers.js';
import { hasNumpy, hasPython } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { byUser, update } from './harness.js';

const HEADER = ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot'];

async function textport(b: Bridge, code: string): Promise<string> {
  const before = (await b.state()).textportTail.length;
  const dat = await b.emu.request<{ name: string }>('add_text', { name: `probe${Date.now() % 100000}`, text: code });
  await b.emu.request('run_script', { op: dat.name });
  return (await b.state()).textportTail.slice(before).join('\n');
}

describe.skipIf(!hasPython() || !hasNumpy())('f32-columns through the relay with real sockets', () => {
  const cleanups = useCleanups();

  it('a JSON sink and an f32-columns sink on the same phones end with the same table and Script CHOP', async () => {
    const relay: RelayHandle = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    cleanups.push(() => relay.close());
    const bridges = {
      json: new Bridge({ url: relay.url, options: resolveOptions({ timeout: 0, batchHz: 30, extraColumns: 'slot' }) }),
      f32: new Bridge({ url: relay.url, options: resolveOptions({ timeout: 0, batchHz: 30, extraColumns: 'slot', encoding: 'f32-columns', tableHz: 30 }) }),
    };
    for (const b of Object.values(bridges)) {
      cleanups.push(() => b.stop());
      await b.start();
    }
    await until(() => relay.metrics().connections.sink === 2, 'both bridges admitted as sinks', 15_000);
    const phones: Peer[] = [];
    cleanups.push(() => phones.forEach((p) => p.terminate()));
    for (let i = 0; i < 8; i++) {
      const p = await Peer.open(relay.url);
      p.send({ type: 'connect', sliderId: `p${i}` });
      phones.push(p);
    }
    for (let round = 0; round < 5; round++) {
      phones.forEach((p, i) => p.send(update(`p${i}`, i * 10 - 35, round * 20 - 40, i * 12.5, round * 45 + 0.5)));
      await new Promise((r) => setTimeout(r, 40));
    }
    phones[3]!.close(); // a leave: p3's slot frees on both sides
    // the last round: y 40 and angle 180.5 for everyone, in the table and in every active CHOP sample
    const done = (s: EmulatorState): boolean =>
      [...byUser(s.table, HEADER).values()].every((v) => v[1] === '40' && v[3] === '180.5') &&
      s.chop !== null &&
      (s.chop.channels.active ?? []).every((a, i) => a === 0 || (s.chop!.channels.valuey?.[i] === 40 && s.chop!.channels.angle?.[i] === 180.5));
    const settled = async (b: Bridge): Promise<EmulatorState> =>
      until(async () => {
        const s = await b.state();
        return byUser(s.table, HEADER).size === 7 && done(s) && s;
      }, 'the last round in the table and the CHOP', 15_000);
    const json = await settled(bridges.json);
    const f32 = await settled(bridges.f32);
    expect(f32.table).toEqual(json.table);
    expect(f32.chop?.channels).toEqual(json.chop?.channels);
    expect(f32.chop?.channels.active).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
    expect(f32.errors).toEqual([]);
    expect(json.errors).toEqual([]);
    // the f32 sink asked for the encoding, got the acknowledgement and binary frames, and ignored nothing
    expect(JSON.parse(f32.outbox.find((o) => o.kind === 'text')!.data)).toMatchObject({ type: 'hello', encoding: 'f32-columns' });
    expect(f32.stats?.ignored).toEqual({});
    const status = await textport(bridges.f32, "op('/project1/websocket1_callbacks').module.status()");
    expect(status).toMatch(/encoding: f32-columns \(binary column batches\)/);
    const batches = Number(/columns: 7 user\(s\) fed by batches; (\d+) batch\(es\)/.exec(status)?.[1]);
    expect(batches).toBeGreaterThanOrEqual(5);
    expect(await textport(bridges.json, "op('/project1/websocket1_callbacks').module.status()")).not.toMatch(/encoding|columns/);
  });
});
