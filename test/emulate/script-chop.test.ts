/**
 * The Script CHOP (script_chop.py) under every TouchDesigner behaviour the docs leave open: one sample per slot,
 * channels for the table's columns plus `active`, in step with the table after joins, updates, deletes (the last
 * row moving into the hole), pruning and a table edited by hand; exactly one cook in every frame whose state
 * changed, none in a frame without a change, timeline playing or paused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChopState } from '../../src/emulate/process.js';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { hasNumpy, hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, update, type Harness } from './harness.js';

const WITH_SLOTS = ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot', 'hue'];
const CHANNELS = ['valuex', 'valuey', 'speed', 'angle', 'slot', 'hue', 'active'];

/** What the CHOP must hold, computed from the table alone: per slot, the row's values (0 and inactive when free). */
function expected(table: string[][], channels: string[]): Record<string, number[]> {
  const header = table[0]!;
  const slotCol = header.indexOf('slot');
  const rows = table.slice(1);
  const size = Math.max(1, ...rows.map((r) => Number(r[slotCol]) + 1));
  const out: Record<string, number[]> = Object.fromEntries(channels.map((c) => [c, new Array<number>(size).fill(0)]));
  out.slot = Array.from({ length: size }, (_, i) => i);
  for (const r of rows) {
    const s = Number(r[slotCol]);
    for (const c of channels) if (c !== 'active' && c !== 'slot') out[c]![s] = Math.fround(Number(r[header.indexOf(c)]));
    out.active![s] = 1;
  }
  return out;
}

async function chop(h: Harness): Promise<ChopState> {
  const s = await h.state();
  expect(s.errors).toEqual([]);
  if (!s.chop) throw new Error('no Script CHOP in the project');
  return s.chop;
}

describe.skipIf(!hasPython() || !hasNumpy())('the Script CHOP under each TouchDesigner variant', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it('holds one sample per slot with the table columns and active, in step with the table', async () => {
      h = await startHarness({ extraColumns: 'slot,hue', timeout: 5 }, { variants });
      await h.sendAll(['a', 'b', 'c', 'd'].map((id, i) => ({ type: 'connect', sliderId: id, hue: 10 * i })));
      await h.sendAll([update('a', 1.5, -2, 3, 4), update('b', -170, 170, 100, 360), update('c', 7, 8, 9, 10), update('d', 0.25, 0.5, 0.75, 1)]);
      await h.emu.request('step');
      let c = await chop(h);
      expect(Object.keys(c.channels)).toEqual(CHANNELS);
      expect(c.numSamples).toBe(4);
      expect(c.channels).toEqual(expected(await h.rows(), CHANNELS));
      expect(c.channels.valuex).toEqual([1.5, -170, 7, 0.25]);

      // a (slot 0) leaves: the last row (d) moves into its row, slot 0 goes inactive, d keeps slot 3
      await h.send({ type: 'delete', sliderId: 'a' });
      await h.send(update('d', 5, 5, 5, 5));
      await h.emu.request('step');
      c = await chop(h);
      expect(c.channels).toEqual(expected(await h.rows(), CHANNELS));
      expect(c.channels.active).toEqual([0, 1, 1, 1]);
      expect(c.channels.valuex).toEqual([0, -170, 7, 5]);

      // a newcomer takes the lowest free slot (0)
      await h.send(update('e', 2, 2, 2, 2));
      await h.emu.request('step');
      c = await chop(h);
      expect(c.channels.active).toEqual([1, 1, 1, 1]);
      expect(c.channels.valuex).toEqual([2, -170, 7, 5]);

      // pruning: only e keeps talking; the others go silent and their slots free up
      for (let i = 0; i < 8; i++) {
        await h.send(update('e', i, 1, 1, 1));
        await h.emu.request('advance', { seconds: 0.75, dt: 0.05 });
      }
      c = await chop(h);
      const rows = await h.rows();
      expect([...byUser(rows, WITH_SLOTS).keys()]).toEqual(['e']);
      expect(c.channels).toEqual(expected(rows, CHANNELS));
      expect(c.numSamples).toBe(1);
      expect(c.channels.active).toEqual([1]);

      // a table edited by hand (a row pasted in, e's slot changed): re-indexed, and the CHOP follows the table
      await h.emu.request('set_table', { rows: [WITH_SLOTS, ['e', '1', '1', '1', '1', '2', '0'], ['f', '3', '4', '5', '6', '0', '9']] });
      await h.send(update('g', 1, 2, 3, 4));
      await h.emu.request('step');
      c = await chop(h);
      expect(c.channels).toEqual(expected(await h.rows(), CHANNELS));
      expect(c.channels.active).toEqual([1, 1, 1]);
    });

    it('cooks once in every frame whose state changed and in no other, playing or paused', async () => {
      h = await startHarness({ extraColumns: 'slot' }, { variants });
      await h.emu.request('step', { frames: 2 });
      const channels = ['valuex', 'valuey', 'speed', 'angle', 'slot', 'active'];
      for (const paused of [false, true]) {
        await h.emu.request(paused ? 'pause' : 'play');
        let cooks = (await chop(h)).totalCooks;
        for (let f = 0; f < 6; f++) {
          const changes = f % 2 === 0;
          if (changes) await h.sendAll([update(`u${f}`, f, 1, 1, 1), update('u0', f, 2, 2, 2)]);
          await h.emu.request('step');
          const c = await chop(h);
          expect(c.totalCooks - cooks, `frame ${f}, ${paused ? 'paused' : 'playing'}`).toBe(changes ? 1 : 0);
          cooks = c.totalCooks;
          expect(c.channels).toEqual(expected(await h.rows(), channels));
        }
      }
      expect(Object.keys((await chop(h)).channels)).toEqual(channels);
    });

    it('without a slot column every user still holds a sample (slots are kept in the state)', async () => {
      h = await startHarness({ normalize: true }, { variants });
      await h.sendAll([update('a', 17, 34, 1, 2), update('b', -170, 0, 3, 4), update('c', 85, 85, 5, 6)]);
      await h.send({ type: 'delete', sliderId: 'a' });
      await h.emu.request('step');
      const c = await chop(h);
      expect(Object.keys(c.channels)).toEqual(['valuex', 'valuey', 'speed', 'angle', 'active']);
      const live = c.channels.active!.flatMap((a, s) => (a === 1 ? [['valuex', 'valuey', 'speed', 'angle'].map((n) => c.channels[n]![s])] : []));
      const fromTable = [...byUser(await h.rows()).values()].map((v) => v.map((x) => Math.fround(Number(x))));
      expect(live.sort()).toEqual(fromTable.sort());
      expect(live).toHaveLength(2);
      expect(c.channels.active).toEqual([0, 1, 1]); // a's slot 0 is free
    });

    it('an empty table is one free sample; reset (Execute DAT onStart) empties the CHOP', async () => {
      h = await startHarness({}, { variants });
      await h.emu.request('step');
      let c = await chop(h);
      expect(c.numSamples).toBe(1);
      expect(c.channels.active).toEqual([0]);
      await h.sendAll([update(1, 1, 1, 1, 1), update(2, 2, 2, 2, 2)]);
      await h.emu.request('step');
      expect((await chop(h)).channels.active).toEqual([1, 1]);
      await h.emu.request('start');
      await h.emu.request('step');
      c = await chop(h);
      expect(c.numSamples).toBe(1);
      expect(c.channels.active).toEqual([0]);
    });
  });

  it('a Script CHOP added to a running show starts from the table, then follows every update', async () => {
    // Until a Script CHOP has cooked, the known-user fast path leaves the mirror alone (a project without the
    // CHOP does not pay for it per message); the first cook copies the table's values once.
    h = await startHarness({ extraColumns: 'slot,hue' }, { chop: false });
    await h.sendAll(['a', 'b', 'c'].map((id) => update(id, 1, 1, 1, 1)));
    await h.sendAll([update('a', 10, 20, 30, 40), update('b', -5, 6, 7, 8), update('c', 100, -100, 50, 180)]);
    expect((await h.state()).chop).toBeNull();
    await h.emu.request('add_chop');
    await h.emu.request('step');
    let c = await chop(h);
    expect(c.channels).toEqual(expected(await h.rows(), CHANNELS));
    expect(c.channels.valuex).toEqual([10, -5, 100]);
    await h.send(update('b', 42, 43, 44, 45));
    await h.emu.request('step');
    c = await chop(h);
    expect(c.channels.valuex).toEqual([10, 42, 100]);
    expect(c.channels).toEqual(expected(await h.rows(), CHANNELS));
  });

  it('a cook reads no Table DAT cell: the numbers come from the mirror in storage', async () => {
    h = await startHarness({ extraColumns: 'slot,hue' });
    await h.sendAll(Array.from({ length: 300 }, (_, i) => update(i, i % 170, 1, 1, 1)));
    await h.emu.request('step');
    await h.emu.request('ops_reset');
    const c = await h.emu.request<ChopState>('cook', { force: true });
    expect(c.numSamples).toBe(300);
    expect((await h.state()).ops).toEqual({});
  });
});
