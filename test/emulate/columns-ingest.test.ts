/**
 * `generate --encoding f32-columns` in the emulator (issue 16, the TouchDesigner half): binary column batches made
 * by the relay's own encoder (src/protocol/columns.ts) give the same Table DAT and Script CHOP as the JSON path
 * for the same input, under every TouchDesigner variant; hostile binary frames are counted and ignored; the
 * fallback to JSON when the relay does not acknowledge; pruning on the columns' last-seen times.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON_DIR, type EmulatorState } from '../../src/emulate/process.js';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { encodeColumns, type ColumnRow } from '../../src/protocol/columns.js';
import { hasNumpy, hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, update, type Harness } from './harness.js';

const WITH_SLOTS = ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot', 'hue'];
const ACK = { type: 'encoding', encoding: 'f32-columns', version: 1 };
const F32 = { encoding: 'f32-columns', batchHz: 30, tableHz: 30 } as const;

/** One step of a session, as the relay would send it to a JSON sink and to an f32-columns sink. */
type Step =
  | { join: string; index: number; hue?: number }
  | { leave: string; index: number }
  | { moves: { id: string; index: number; x: number; y: number; speed: number; angle: number }[] };

async function sendBinary(h: Harness, frame: Uint8Array | Buffer): Promise<void> {
  await h.emu.request('binary', { b64: Buffer.from(frame).toString('base64') });
}

/** Plays the steps as JSON frames (batches) or as f32-columns frames (text joins and leaves, binary moves). */
async function play(h: Harness, steps: Step[], binary: boolean): Promise<void> {
  let batch = 0;
  for (const s of steps) {
    if ('join' in s) {
      const hue = s.hue === undefined ? {} : { hue: s.hue };
      await h.send(binary ? { type: 'connect', sliderId: s.join, index: s.index, ...hue } : { type: 'connect', sliderId: s.join, ...hue });
    } else if ('leave' in s) {
      await h.send(binary ? { type: 'delete', sliderId: s.leave, reason: 'closed', index: s.index } : { type: 'delete', sliderId: s.leave, reason: 'closed' });
    } else if (binary) {
      const rows: ColumnRow[] = s.moves.map((m) => ({ index: m.index, x: m.x, y: m.y, speed: m.speed, angle: m.angle }));
      await sendBinary(h, encodeColumns(batch++, rows));
    } else {
      await h.send({ type: 'batch', messages: s.moves.map((m) => update(m.id, m.x, m.y, m.speed, m.angle)) });
    }
  }
}

/** A session with joins, moves, a leave whose index is reused (lowest free), and a user joining late. */
function session(): Step[] {
  const v = (i: number, k: number): { x: number; y: number; speed: number; angle: number } => ({
    x: ((i * 37 + k * 11) % 340) - 170,
    y: 170 - ((i * 53 + k * 7) % 340) - 0.5,
    speed: (i * 13 + k) % 101,
    angle: ((i * 29 + k * 3) % 720) / 2,
  });
  const steps: Step[] = [];
  const ids = ['a', 'b', 'c', 'd', 'e'];
  ids.forEach((id, i) => steps.push({ join: id, index: i, hue: 40 * i }));
  for (let k = 0; k < 3; k++) steps.push({ moves: ids.map((id, i) => ({ id, index: i, ...v(i, k) })) });
  steps.push({ leave: 'b', index: 1 });
  steps.push({ join: 'f', index: 1, hue: 300 }); // b's index and slot, lowest free on both sides
  steps.push({ moves: [{ id: 'f', index: 1, ...v(9, 1) }, { id: 'a', index: 0, ...v(0, 9) }] });
  steps.push({ leave: 'e', index: 4 });
  steps.push({ moves: [{ id: 'c', index: 2, x: -170, y: 170, speed: 100, angle: 360 }, { id: 'd', index: 3, x: 0, y: -0.25, speed: 0, angle: 0 }] });
  steps.push({ join: 'g', index: 4 });
  return steps;
}

/** Runs `code` as a person would in a Text DAT (Run Script) and returns what it printed. */
async function textport(h: Harness, code: string): Promise<string> {
  const before = (await h.state()).textportTail.length;
  const dat = await h.emu.request<{ name: string }>('add_text', { name: `probe${Date.now() % 100000}`, text: code });
  const res = await h.emu.request<{ ok: boolean; errors: unknown[] }>('run_script', { op: dat.name });
  expect(res.errors).toEqual([]);
  return (await h.state()).textportTail.slice(before).join('\n');
}

async function settled(h: Harness): Promise<EmulatorState> {
  await h.emu.request('advance', { seconds: 0.2, dt: 1 / 60 }); // the Table DAT refresh (30 Hz here) and the CHOP cook
  const s = await h.state();
  expect(s.errors).toEqual([]);
  return s;
}

describe.skipIf(!hasPython() || !hasNumpy())('f32-columns ingest in the emulator', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("the benchmark's Python encoder writes the TypeScript encoder's bytes", () => {
    const rows: ColumnRow[] = [
      { index: 3, x: 12.5, y: -0.1, speed: 33.3, angle: 359.9, seq: 7, t: 1_700_000_000_123 },
      { index: 0, x: -170, y: 170, speed: 0, angle: 0 },
      { index: 65535, x: 1e-3, y: 2, speed: 100, angle: 360, seq: 2 ** 40, t: 1_700_000_000_100 },
    ];
    const ts = Buffer.from(encodeColumns(4_000_000_000, rows)).toString('hex');
    const py = `
import sys
sys.path.insert(0, ${JSON.stringify(fileURLToPath(new URL('../../bench/python/', import.meta.url)))})
from columns_frames import encode
nan = float('nan')
print(encode(4000000000, [3, 0, 65535], [12.5, -170, 1e-3], [-0.1, 170, 2], [33.3, 0, 100], [359.9, 0, 360],
             seq=[7, nan, 2 ** 40], t=[1700000000123, nan, 1700000000100]).hex())`;
    const r = spawnSync('python3', ['-c', py], { env: { ...process.env, PYTHONPATH: PYTHON_DIR }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(ts);
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it('gives the table and the Script CHOP the JSON path gives for the same input', async () => {
      const steps = session();
      h = await startHarness({ batchHz: 30, extraColumns: 'slot,hue' }, { variants });
      await play(h, steps, false);
      const json = await settled(h);
      await h.close();

      h = await startHarness({ ...F32, extraColumns: 'slot,hue' }, { variants });
      expect(JSON.parse((await h.state()).outbox[0]!.data)).toEqual({ type: 'hello', role: 'sink', batchHz: 30, encoding: 'f32-columns' });
      await h.send(ACK);
      await play(h, steps, true);
      const bin = await settled(h);

      expect(bin.table).toEqual(json.table);
      expect(byUser(bin.table, WITH_SLOTS).get('c')).toEqual(['-170', '170', '100', '360', '2', '80']);
      expect(bin.chop?.channels).toEqual(json.chop?.channels);
      expect(bin.chop?.channels.active).toEqual([1, 1, 1, 1, 1]);
      expect(bin.stats?.ignored).toEqual({});
      expect(bin.stats?.received).toBe(bin.stats?.applied);
    });
  });

  it('--normalize --invert-y: the CHOP matches the JSON path; the table keeps float32 text', async () => {
    const steps = session();
    h = await startHarness({ batchHz: 30, normalize: true, invertY: true }, {});
    await play(h, steps, false);
    const json = await settled(h);
    await h.close();
    h = await startHarness({ ...F32, normalize: true, invertY: true }, {});
    await h.send(ACK);
    await play(h, steps, true);
    const bin = await settled(h);
    expect(bin.chop?.channels).toEqual(json.chop?.channels);
    const a = byUser(bin.table);
    const b = byUser(json.table);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [id, vals] of a) {
      vals.forEach((v, i) => expect(Math.fround(Number(v)), `${id}[${i}]`).toBe(Math.fround(Number(b.get(id)![i]))));
    }
  });

  it('counts and ignores hostile binary frames and rows, never raises, and keeps honest users exact', async () => {
    h = await startHarness({ ...F32, extraColumns: 'slot' });
    await h.send(ACK);
    await h.send({ type: 'connect', sliderId: 'h0', index: 0 });
    await h.send({ type: 'connect', sliderId: 'h1', index: 1 });
    const good = encodeColumns(5, [
      { index: 0, x: 1, y: 2, speed: 3, angle: 4 },
      { index: 1, x: 5, y: 6, speed: 7, angle: 8 },
    ]);
    const patched = (at: number, bytes: number[]): Buffer => {
      const b = Buffer.from(good);
      bytes.forEach((v, i) => (b[at + i] = v));
      return b;
    };
    const frames: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from([0, 255, 7]),
      Buffer.from(good).subarray(0, 23), // shorter than the header
      Buffer.from(good).subarray(0, good.length - 1), // truncated column
      Buffer.concat([Buffer.from(good), Buffer.from([0])]), // a byte too many
      patched(0, [0x54, 0x44, 0x43, 0x58]), // magic TDCX
      patched(4, [2]), // version 2
      patched(5, [4]), // an unknown flag bit
      patched(6, [1]), // reserved not 0
      patched(12, [0xff, 0xff, 0xff, 0xff]), // N says 4 billion rows
    ];
    for (const f of frames) await sendBinary(h, f);
    // rows the frame layout allows but the contract refuses: unknown, out-of-range and duplicate indices, NaN, ±Inf, out of range
    await sendBinary(h, encodeColumns(6, [
      { index: 9, x: 1, y: 1, speed: 1, angle: 1 }, // no join
      { index: 70000, x: 1, y: 1, speed: 1, angle: 1 }, // beyond any index
      { index: 4294967295, x: 1, y: 1, speed: 1, angle: 1 },
      { index: 0, x: NaN, y: 1, speed: 1, angle: 1 },
      { index: 0, x: 1, y: Infinity, speed: 1, angle: 1 },
      { index: 1, x: 171, y: 0, speed: 0, angle: 0 },
      { index: 1, x: 0, y: 0, speed: -1, angle: 0 },
      { index: 1, x: 0, y: 0, speed: 0, angle: 400 },
    ]));
    await sendBinary(h, encodeColumns(7, [
      { index: 0, x: 9, y: 9, speed: 9, angle: 9 },
      { index: 1, x: 10, y: 10, speed: 10, angle: 10 },
      { index: 0, x: 11, y: 11, speed: 11, angle: 11 }, // index 0 twice: both rows refused
    ]));
    await sendBinary(h, good);
    // text frames of the columns path with bad values
    await h.send({ type: 'connect', sliderId: 'x', index: -1 });
    await h.send({ type: 'connect', sliderId: 'x', index: 65536 });
    await h.send({ type: 'connect', sliderId: 'x', index: 1.5 });
    await h.send({ type: 'delete', sliderId: 'nobody', index: 3, reason: 'closed' });
    const s = await settled(h);
    const stats = s.stats!;
    expect(stats.ignored).toEqual({
      columns_short: 3,
      columns_length: 3,
      columns_magic: 1,
      columns_version: 1,
      columns_flags: 2,
      unknown_index: 3,
      non_finite: 2,
      out_of_range: 3,
      duplicate_index: 2,
      bad_index: 3,
      unknown_user: 1,
    } as never);
    const ignored = Object.values(stats.ignored).reduce((a, b) => a + b, 0);
    expect(stats.received).toBe(stats.applied + ignored);
    expect(byUser(s.table, ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot'])).toEqual(
      new Map([
        ['h0', ['1', '2', '3', '4', '0']],
        ['h1', ['5', '6', '7', '8', '1']],
      ]),
    );
    expect(s.chop?.channels.valuex).toEqual([1, 5]);
    expect(s.debugCount).toBeLessThan(10);
  });

  it('falls back to JSON when the relay refuses the encoding, and asks plainly from then on', async () => {
    h = await startHarness(F32);
    await h.send({ type: 'error', code: 'schema', message: 'hello: unknown property encoding' });
    let s = await h.state(true);
    expect(s.outbox.map((o) => JSON.parse(o.data))).toEqual([
      { type: 'hello', role: 'sink', batchHz: 30, encoding: 'f32-columns' },
      { type: 'hello', role: 'sink', batchHz: 30 },
    ]);
    await h.send({ type: 'batch', messages: [{ type: 'connect', sliderId: 1 }, update(1, 5, 6, 7, 8)] });
    expect(byUser(await h.rows()).get('1')).toEqual(['5', '6', '7', '8']);
    // the next connection says a plain hello straight away
    await h.emu.request('disconnect');
    await h.emu.request('advance', { seconds: 3, dt: 0.05 });
    s = await h.state(true);
    expect(s.connected).toBe(true);
    expect(s.outbox.map((o) => JSON.parse(o.data))).toEqual([{ type: 'hello', role: 'sink', batchHz: 30 }]);
    expect(await textport(h, "op('/project1/websocket1_callbacks').module.status()")).toMatch(/encoding: json \(the relay did not take f32-columns/);
    expect(s.errors).toEqual([]);
  });

  it('falls back to JSON when the snapshot comes without an acknowledgement (an older relay that ignored it)', async () => {
    h = await startHarness({ ...F32, extraColumns: 'slot' });
    await h.send({ type: 'connect', sliderId: 'a' }); // the snapshot, no encoding frame before it
    await h.send(update('a', 1, 2, 3, 4));
    await settled(h);
    expect(byUser(await h.rows(), ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']).get('a')).toEqual(['1', '2', '3', '4', '0']);
    await h.emu.request('disconnect');
    await h.emu.request('advance', { seconds: 3, dt: 0.05 });
    const s = await h.state();
    expect(s.outbox.map((o) => JSON.parse(o.data)).at(-1)).toEqual({ type: 'hello', role: 'sink', batchHz: 30 });
    expect(s.chop?.channels.valuex).toEqual([1]);
    expect(s.errors).toEqual([]);
  });

  it('a reconnect gets a new index map: the snapshot re-joins users under new indices, keeping their slots', async () => {
    h = await startHarness({ ...F32, extraColumns: 'slot' });
    await h.send(ACK);
    await play(h, [{ join: 'a', index: 0 }, { join: 'b', index: 1 }, { moves: [{ id: 'a', index: 0, x: 1, y: 1, speed: 1, angle: 1 }, { id: 'b', index: 1, x: 2, y: 2, speed: 2, angle: 2 }] }], true);
    await h.emu.request('disconnect');
    await h.emu.request('advance', { seconds: 3, dt: 0.05 });
    expect((await h.state()).connected).toBe(true);
    await h.send(ACK);
    // the relay now numbers them the other way round; an old index means nothing until its join
    await sendBinary(h, encodeColumns(0, [{ index: 0, x: 50, y: 50, speed: 50, angle: 50 }]));
    await h.send({ type: 'connect', sliderId: 'b', index: 0 });
    await h.send({ type: 'connect', sliderId: 'a', index: 1 });
    await sendBinary(h, encodeColumns(1, [{ index: 0, x: 20, y: 20, speed: 20, angle: 20 }, { index: 1, x: 10, y: 10, speed: 10, angle: 10 }]));
    const s = await settled(h);
    expect(byUser(s.table, ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot'])).toEqual(
      new Map([
        ['a', ['10', '10', '10', '10', '0']],
        ['b', ['20', '20', '20', '20', '1']],
      ]),
    );
    expect(s.stats?.ignored).toEqual({ unknown_index: 1 });
  });

  it('prunes users whose slot has not moved for --timeout, and keeps those the batches keep moving', async () => {
    h = await startHarness({ ...F32, timeout: 2, extraColumns: 'slot' });
    await h.send(ACK);
    await play(h, [{ join: 'quiet', index: 0 }, { join: 'busy', index: 1 }], true);
    for (let i = 0; i < 12; i++) {
      await sendBinary(h, encodeColumns(i, [{ index: 1, x: i, y: 0, speed: 0, angle: 0 }]));
      await h.emu.request('advance', { seconds: 0.25, dt: 0.05 });
    }
    const s = await settled(h);
    expect(byUser(s.table, ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot'])).toEqual(new Map([['busy', ['11', '0', '0', '0', '1']]]));
    expect(s.chop?.channels.active).toEqual([0, 1]);
    // the freed index 0 and slot 0 go to the next joiner
    await play(h, [{ join: 'new', index: 0 }, { moves: [{ id: 'new', index: 0, x: 3, y: 3, speed: 3, angle: 3 }] }], true);
    const t = await settled(h);
    expect(byUser(t.table, ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']).get('new')).toEqual(['3', '3', '3', '3', '0']);
  });

  it('the Execute DAT resetting the users (onStart, onCreate) reconnects, so the snapshot joins them again', async () => {
    h = await startHarness({ ...F32, extraColumns: 'slot' });
    await h.send(ACK);
    await play(h, [{ join: 'a', index: 0 }, { moves: [{ id: 'a', index: 0, x: 1, y: 1, speed: 1, angle: 1 }] }], true);
    await h.emu.request('start');
    await h.emu.request('advance', { seconds: 1, dt: 0.05 });
    let s = await h.state(true);
    expect(s.connects).toBe(2);
    expect(s.table).toEqual([['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']]);
    expect(s.outbox.map((o) => JSON.parse(o.data))).toContainEqual({ type: 'hello', role: 'sink', batchHz: 30, encoding: 'f32-columns' });
    expect(s.outbox).toHaveLength(2);
    await h.send(ACK);
    await play(h, [{ join: 'a', index: 0 }, { moves: [{ id: 'a', index: 0, x: 2, y: 2, speed: 2, angle: 2 }] }], true);
    s = await settled(h);
    expect(s.table.slice(1)).toEqual([['a', '2', '2', '2', '2', '0']]);
  });

  it('a table edited by hand (slots swapped) is re-indexed and the columns follow the slots', async () => {
    h = await startHarness({ ...F32, extraColumns: 'slot' });
    await h.send(ACK);
    const ids = ['a', 'b', 'c'];
    await play(h, [...ids.map((id, i) => ({ join: id, index: i })), { moves: ids.map((id, i) => ({ id, index: i, x: i + 1, y: 0, speed: 0, angle: 0 })) }], true);
    let s = await settled(h);
    const header = s.table[0]!;
    // swap a's and c's slots by hand
    await h.emu.request('set_table', { rows: [header, ...s.table.slice(1).map((r) => (r[0] === 'a' ? [...r.slice(0, 5), '2'] : r[0] === 'c' ? [...r.slice(0, 5), '0'] : r))] });
    for (let k = 0; k < 4; k++) await sendBinary(h, encodeColumns(k, [{ index: 1, x: 5, y: 5, speed: 5, angle: 5 }]));
    await sendBinary(h, encodeColumns(9, [{ index: 0, x: 7, y: 7, speed: 7, angle: 7 }])); // a, now in slot 2
    s = await settled(h);
    expect(byUser(s.table, header)).toEqual(
      new Map([
        ['a', ['7', '7', '7', '7', '2']],
        ['b', ['5', '5', '5', '5', '1']],
        ['c', ['3', '0', '0', '0', '0']],
      ]),
    );
    expect(s.chop?.channels.valuex).toEqual([3, 5, 7]);
    expect(s.stats?.reindexed).toBeGreaterThan(0);
  });

  it('--table-hz 0 leaves the values to the Script CHOP; joins and leaves still make and remove rows', async () => {
    h = await startHarness({ ...F32, tableHz: 0, extraColumns: 'slot' });
    await h.send(ACK);
    await play(h, [{ join: 'a', index: 0 }, { moves: [{ id: 'a', index: 0, x: 7, y: 7, speed: 7, angle: 7 }] }], true);
    const s = await settled(h);
    expect(s.table.slice(1)).toEqual([['a', '0', '0', '0', '0', '0']]);
    expect(s.chop?.channels.valuex).toEqual([7]);
  });
});

/** The relay half's recorded fixtures (test/emulate/columns-fixtures.ts): a real relay run, and hostile frames. */
describe.skipIf(!hasPython() || !hasNumpy())('f32-columns ingest: the recorded relay fixtures', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const fixture = (name: string): { text?: string; bin?: string; expect?: { rows: [number, string | number, number, number, number, number][] } }[] =>
    readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const playFixture = async (lines: ReturnType<typeof fixture>): Promise<void> => {
    for (const l of lines) {
      if (l.text !== undefined) await h!.send(l.text);
      else await h!.emu.request('binary', { b64: l.bin });
    }
  };

  it('a recorded run ends with the JSON sink\'s final table, float32-rounded', async () => {
    h = await startHarness({ ...F32, timeout: 0 });
    await playFixture(fixture('f32-columns-run.jsonl'));
    const s = await settled(h);
    const final = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/f32-columns-run.final.json', import.meta.url)), 'utf8')) as Record<string, { x: number; y: number; speed: number; angle: number }>;
    const users = byUser(s.table);
    expect([...users.keys()].sort()).toEqual(Object.keys(final).sort());
    for (const [id, v] of Object.entries(final)) {
      expect(users.get(id)!.map((c) => Math.fround(Number(c))), id).toEqual([v.x, v.y, v.speed, v.angle].map(Math.fround));
    }
    expect(s.stats?.ignored).toEqual({});
  });

  it('the hostile sequence: never raises, counts every row, applies exactly the rows the TypeScript reader accepts', async () => {
    h = await startHarness({ ...F32, timeout: 0 });
    await h.send(ACK);
    const lines = fixture('f32-columns-hostile.jsonl');
    await playFixture(lines);
    const s = await settled(h);
    const expected = new Map<string, string[]>();
    for (const l of lines) {
      if (l.text !== undefined) {
        const m = JSON.parse(l.text) as { type: string; sliderId: string | number };
        if (m.type === 'connect') expected.set(String(m.sliderId), ['0', '0', '0', '0']);
        if (m.type === 'delete') expected.delete(String(m.sliderId));
      }
      for (const r of l.expect?.rows ?? []) expected.set(String(r[1]), r.slice(2, 6).map((v) => String(Math.fround(v as number))));
    }
    const users = byUser(s.table);
    expect(new Map([...users].map(([k, v]) => [k, v.map((c) => String(Math.fround(Number(c))))]))).toEqual(expected);
    const ignored = Object.values(s.stats!.ignored).reduce((a, b) => a + b, 0);
    expect(s.stats!.received).toBe(s.stats!.applied + ignored);
    expect(s.errors).toEqual([]);
  });
});
