/**
 * The table side of the generated scripts under every TouchDesigner behaviour the docs leave open
 * (src/emulate/variants.ts): the tutorial's session, pruning on the wall clock (timeline paused or not),
 * stable slots for instancing, the header written without onStart, and status() in the Textport.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { hasPython } from '../helpers/requirements.js';
import { byUser, HEADER, startHarness, update, type Harness } from './harness.js';

const WITH_SLOTS = [...HEADER, 'slot', 'hue'];

/** Runs `code` as a person would in a Text DAT (Run Script) and returns what it printed. */
async function textport(h: Harness, code: string): Promise<string> {
  const before = (await h.state()).textportTail.length;
  await h.emu.request('add_text', { name: `probe${Date.now() % 100000}`, text: code }).then(async (r) => {
    const res = await h.emu.request<{ ok: boolean; errors: unknown[] }>('run_script', { op: (r as { name: string }).name });
    expect(res.errors).toEqual([]);
  });
  return (await h.state()).textportTail.slice(before).join('\n');
}

describe.skipIf(!hasPython())('the table under each TouchDesigner variant', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it("plays the tutorial's session: connect, updates, batch, delete, ping", async () => {
      h = await startHarness({ batchHz: 10 }, { variants });
      await h.send({ type: 'connect', sliderId: 7 });
      await h.send(update(7, 12.5, -30, 19, 112.6));
      await h.send({ type: 'batch', messages: [update(8, -170, 170, 100, 360), update('7', 13, -31, 20, 113), { type: 'connect', sliderId: 'c' }] });
      await h.send({ type: 'delete', sliderId: 'c', reason: 'closed' });
      await h.send('ping');
      const s = await h.state();
      const users = byUser(s.table);
      expect([...users.keys()].sort()).toEqual(['7', '8']);
      expect(users.get('7')).toEqual(['13', '-31', '20', '113']);
      expect(users.get('8')).toEqual(['-170', '170', '100', '360']);
      expect(s.outbox.map((o) => o.data)).toEqual(['{"type":"hello","role":"sink","batchHz":10}', 'pong']);
      expect(s.stats).toMatchObject({ frames: 5, received: 7, applied: 7, ignored: {} });
      expect(s.errors).toEqual([]);
    });

    it('prunes users silent longer than the timeout on the wall clock, with the timeline paused or not', async () => {
      h = await startHarness({ timeout: 3 }, { variants });
      await h.sendAll([update(1), update(2)]);
      await h.emu.request('advance', { seconds: 2, dt: 0.05 });
      await h.send(update(2, 5, 5, 5, 5));
      await h.emu.request('advance', { seconds: 1.4, dt: 0.05 });
      expect([...byUser(await h.rows()).keys()]).toEqual(['2']); // 1 silent 3.4 s
      await h.emu.request('advance', { seconds: 1.4, dt: 0.05 });
      expect([...byUser(await h.rows()).keys()]).toEqual(['2']); // 2 silent 2.8 s
      await h.emu.request('advance', { seconds: 0.6, dt: 0.05 });
      expect(byUser(await h.rows()).size).toBe(0);
      expect((await h.state()).errors).toEqual([]);
    });

    it('keeps a stable slot per user (lowest free at join, freed when the row goes) and the hue of its connect', async () => {
      h = await startHarness({ extraColumns: 'slot,hue', timeout: 5 }, { variants });
      await h.sendAll(['a', 'b', 'c'].map((id, i) => ({ type: 'connect', sliderId: id, hue: 100 + i })));
      const slots = async (): Promise<Record<string, string>> => {
        const t = await h!.rows();
        expect(t[0]).toEqual(WITH_SLOTS);
        return Object.fromEntries(t.slice(1).map((r) => [r[0], `${r[5]}/${r[6]}`]));
      };
      expect(await slots()).toEqual({ a: '0/100', b: '1/101', c: '2/102' });
      await h.send({ type: 'delete', sliderId: 'a' }); // the last row (c) moves into a's place, keeping its slot
      expect(await slots()).toEqual({ b: '1/101', c: '2/102' });
      await h.sendAll([update('c', 9, 9, 9, 9), update('d', 1, 1, 1, 1), { type: 'connect', sliderId: 'e', hue: 7 }]);
      expect(await slots()).toEqual({ b: '1/101', c: '2/102', d: '0/0', e: '3/7' });
      expect(byUser(await h.rows(), WITH_SLOTS).get('c')).toEqual(['9', '9', '9', '9', '2', '102']);
      // pruned users free their slots too; the survivors keep theirs
      await h.emu.request('advance', { seconds: 3, dt: 0.05 });
      await h.sendAll([update('e', 2, 2, 2, 2)]);
      await h.emu.request('advance', { seconds: 2.5, dt: 0.05 });
      expect(await slots()).toEqual({ e: '3/7' });
      await h.sendAll([update('f', 1, 1, 1, 1), update('g', 1, 1, 1, 1)]);
      expect(await slots()).toEqual({ e: '3/7', f: '0/0', g: '1/0' });
      // a table edited by hand (e's row deleted, g given f's slot): re-indexed at the next message, the first
      // holder of a slot keeps it, the duplicate gets the lowest free one
      const t = await h.rows();
      await h.emu.request('set_table', { rows: t.filter((r) => r[0] !== 'e').map((r) => (r[0] === 'g' ? [...r.slice(0, 5), '0', r[6]] : r)) });
      await h.send(update('h', 1, 1, 1, 1));
      expect(await slots()).toEqual({ f: '0/0', g: '1/0', h: '2/0' });
      expect((await h.state()).errors).toEqual([]);
    });

    it('writes the header on the first message when onStart did not run', async () => {
      h = await startHarness({}, { variants, start: false });
      await h.emu.request('set_table', { rows: [] });
      await h.send(update(1, 1, 2, 3, 4));
      expect(await h.rows()).toEqual([HEADER, ['1', '1', '2', '3', '4']]);
      expect((await h.state()).errors).toEqual([]);
    });

    it('status() in the Textport says what the scripts see and what looks wrong', async () => {
      h = await startHarness({}, { variants });
      await h.sendAll([update('a', 1, 1, 1, 1), 'not json']);
      const call = "op('/project1/websocket1_callbacks').module.status()";
      let out = await textport(h, call);
      expect(out).toMatch(/websocket1 -> ws:\/\/localhost:8080 \(route mode\)/);
      expect(out).toMatch(/connection: connected since \d\d:\d\d:\d\d/);
      expect(out).toMatch(/users: 1 in test_test; last message 0\.\d s ago/);
      expect(out).toMatch(/ignored: not_json 1/);
      expect(out).toMatch(/looks fine/);
      // the relay refuses this sink, then nothing arrives for a while
      await h.send({ type: 'error', code: 'unauthorized', message: 'sink token required' });
      await h.emu.request('advance', { seconds: 35, dt: 0.05 });
      out = await textport(h, call);
      expect(out).toMatch(/relay said 35\.\d s ago: unauthorized: sink token required/);
      expect(out).toMatch(/the relay refused this sink: check --sink-token/);
      expect(out).toMatch(/connected but nothing received for 35\.\d s/);
      // switched off by hand
      await h.emu.request('set_par', { op: 'websocket1', name: 'active', value: false });
      await h.emu.request('advance', { seconds: 1, dt: 0.05 });
      out = await textport(h, call);
      expect(out).toMatch(/connection: Active is off/);
      expect(out).toMatch(/switch Active on \(websocket1\)/);
      expect((await h.state()).errors).toEqual([]);
    });
  });
});
