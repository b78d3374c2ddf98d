/**
 * --target osc: the generated OSC In DAT callbacks in the emulator, fed the relay's OSC messages (as the OSC In DAT
 * hands them to onReceiveOSC: address and a list of arguments). Same table rules as the other targets: the
 * session, ids as strings (beyond int32), deletes, pruning, slots and the Script CHOP, hostile arguments counted
 * and ignored, a cost that does not grow with the crowd.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { hasNumpy, hasPython } from '../helpers/requirements.js';
import { byUser, oscUpdate, startOscHarness, type OscHarness, type OscPacket } from './harness.js';

const BIG = '9007199254740991'; // beyond int32 and float32: why ids travel as OSC strings

describe.skipIf(!hasPython() || !hasNumpy())('OSC In DAT target', () => {
  let h: OscHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it('plays the session from bundles split into messages: connect, updates, delete; slots and the Script CHOP follow', async () => {
      h = await startOscHarness({ extraColumns: 'slot' }, { variants });
      await h.send({
        bundle: [
          { address: '/tdcrowd/connect', args: [BIG] },
          oscUpdate(BIG, 12.5, -30, 19, 112.5),
          { address: '/tdcrowd/connect', args: ['b'] },
          oscUpdate('b', -170, 170, 100, 360),
          oscUpdate('7', 1, 2, 3, 4),
        ],
      });
      await h.send({ address: '/tdcrowd/delete', args: ['b', 'closed'] }, oscUpdate(BIG, 13, -31, 20, 113));
      await h.emu.request('step');
      const s = await h.state();
      const users = byUser(s.table, ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']);
      expect([...users.entries()].sort()).toEqual([
        ['7', ['1', '2', '3', '4', '2']],
        [BIG, ['13', '-31', '20', '113', '0']],
      ]);
      expect(s.chop?.channels.active).toEqual([1, 0, 1]);
      expect(s.chop?.channels.valuex).toEqual([13, 0, 1]);
      expect(s.stats).toMatchObject({ frames: 7, received: 7, applied: 7, ignored: {} });
      expect(s.errors).toEqual([]);
    });

    it('prunes users the relay stopped sending (a lost delete) after the timeout, paused or not', async () => {
      h = await startOscHarness({ timeout: 3 }, { variants });
      await h.send(oscUpdate('a', 1, 1, 1, 1), oscUpdate('b', 1, 1, 1, 1));
      await h.emu.request('pause');
      await h.emu.request('advance', { seconds: 2, dt: 0.05 });
      await h.send(oscUpdate('b', 2, 2, 2, 2)); // the relay's snapshot keeps a live user fresh
      await h.emu.request('advance', { seconds: 1.5, dt: 0.05 });
      expect([...byUser(await h.rows()).keys()]).toEqual(['b']);
      expect((await h.state()).errors).toEqual([]);
    });
  });

  it('counts a bundle the DAT did not split, and says how to fix it', async () => {
    h = await startOscHarness({}, { splitbundle: false });
    await h.send({ bundle: [oscUpdate('a', 1, 1, 1, 1)] });
    const s = await h.state();
    expect(s.stats?.ignored).toEqual({ bundle_not_split: 1 });
    expect(byUser(s.table).size).toBe(0);
    await h.emu.request('add_text', { name: 'probe', text: "op('/project1/oscin1_callbacks').module.status()" });
    await h.emu.request('run_script', { op: 'probe' });
    expect((await h.state()).textportTail.join('\n')).toMatch(/turn on Split Bundle into Messages \(oscin1\)/);
  });

  it('never raises on hostile OSC and keeps honest users exact', async () => {
    h = await startOscHarness();
    const junk: OscPacket[] = [];
    const bad = [null, true, false, 'x', '', [], {}, 1e400, -1e400, 'NaN', 171, -171, 360.5, -0.5, 'a'.repeat(100_000)];
    for (let field = 0; field < 5; field++) {
      for (const v of bad) {
        const args: unknown[] = ['victim', 1, 2, 3, 4];
        args[field] = v;
        junk.push({ address: '/tdcrowd/update', args });
      }
    }
    junk.push(
      { address: '/tdcrowd/update', args: [] },
      { address: '/tdcrowd/update', args: ['a', 1, 2, 3] },
      { address: '/tdcrowd/update', args: ['a', 1, 2, 3, 4, 5] },
      { address: '/tdcrowd/update', args: [5, 1, 2, 3, 4] },
      { address: '/tdcrowd/update', args: ['bad id!', 1, 2, 3, 4] },
      { address: '/tdcrowd/update', args: ['a'.repeat(65), 1, 2, 3, 4] },
      { address: '/tdcrowd/delete', args: ['never-seen', 'client'] },
      { address: '/tdcrowd/delete', args: ['h0', 'because'] },
      { address: '/tdcrowd/delete', args: ['h0'] },
      { address: '/tdcrowd/connect', args: [] },
      { address: '/tdcrowd/connect', args: ['c', 'd', 'e'] },
      { address: '/tdcrowd/batch', args: [] },
      { address: '/other/app', args: [1, 2, 3] },
      { address: '', args: [] },
      { address: '/tdcrowd/update', args: ['\ud800', 1, 2, 3, 4] },
    );
    let honest = 0;
    for (let i = 0; i < junk.length; i++) {
      await h.send(junk[i]!, oscUpdate(`h${i % 3}`, i % 170, -(i % 170), i % 100, i % 360));
      honest++;
    }
    const s = await h.state();
    expect(s.errors).toEqual([]);
    const st = s.stats!;
    const ignored = Object.values(st.ignored).reduce((a, b) => a + b, 0);
    expect(st.received).toBe(st.applied + ignored);
    expect(st.frames).toBe(junk.length + honest);
    expect(st.ignored.internal).toBeUndefined();
    for (const reason of ['bad_value', 'out_of_range', 'bad_id', 'bad_args', 'unknown_address', 'unknown_user']) expect(st.ignored[reason], reason).toBeGreaterThan(0);
    const users = byUser(s.table);
    for (let k = 0; k < 3; k++) {
      const last = [...Array(honest).keys()].filter((i) => i % 3 === k).pop()!;
      expect(users.get(`h${k}`)).toEqual([String(last % 170), String(-(last % 170)), String(last % 100), String(last % 360)]);
    }
    expect(s.debugCount).toBeLessThan(10);
  });

  it('costs the same counted table operations per message at 10 and at 2000 users', async () => {
    const measure = async (n: number): Promise<Record<string, number>[]> => {
      const hh = await startOscHarness();
      try {
        await hh.emu.request('osc', { packets: Array.from({ length: n }, (_, i) => oscUpdate(`u${i}`, 1, 1, 1, 1)) });
        const AUDIT = 16;
        await hh.emu.request('osc', { packets: Array.from({ length: (AUDIT - (n % AUDIT)) % AUDIT }, () => ({ address: '/x', args: [] })) });
        const mid = Math.floor(n / 2);
        const { costs } = await hh.emu.request<{ costs: Record<string, number>[] }>('osc_cost', {
          packets: [
            oscUpdate(`u${mid}`, 5, 5, 5, 5),
            oscUpdate('u0', 6, 6, 6, 6),
            oscUpdate('newcomer', 1, 2, 3, 4),
            { address: '/tdcrowd/delete', args: [`u${mid}`, 'closed'] },
            { address: '/tdcrowd/delete', args: ['newcomer', 'timeout'] },
            { address: '/tdcrowd/connect', args: ['u1'] },
          ],
        });
        expect((await hh.state()).errors).toEqual([]);
        return costs;
      } finally {
        await hh.stop();
      }
    };
    const small = await measure(10);
    const large = await measure(2000);
    expect(large).toEqual(small);
    for (const c of large) {
      expect(c.label_scan ?? 0).toBe(0);
      expect(c.rows_shifted ?? 0).toBe(0);
    }
  });
});
