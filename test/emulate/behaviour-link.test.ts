/**
 * The connection side of the generated scripts under every TouchDesigner behaviour the docs leave open
 * (src/emulate/variants.ts): connecting whenever the relay is reachable, respecting a person's Active switch,
 * one service loop across re-pastes and project reopening, the hello retried when sendText fails.
 * All on the emulator's driven clock: `advance` steps frames of emulated time, never wall time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { renderScripts, resolveOptions } from '../../src/generate/index.js';
import { hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, update, type Harness } from './harness.js';

const callbacksText = (raw = {}): string => renderScripts(resolveOptions(raw)).find((s) => s.file === 'websocket_callbacks.py')!.text;
const executeText = (raw = {}): string => renderScripts(resolveOptions(raw)).find((s) => s.file === 'execute.py')!.text;
const constant = (name: string): number => Number(new RegExp(`^${name} = ([0-9.]+)`, 'm').exec(callbacksText())?.[1]);
const RETRY_MAX_NEW = constant('RETRY_MAX_NEW');
const RETRY_MAX = constant('RETRY_MAX');
const TOGGLE_S = constant('TOGGLE_S');
const FRAME = 1 / 60;
/** How late a re-arm can be: the off and the on step each wait for the next service tick (a frame, or the
 * 100 ms run() loop while frames do not fire), plus the emulator's attempt landing on the next frame. */
const SLACK = 2 * 0.1 + 2 * FRAME;
const EXECUTE_DAT = resolveOptions({}).executeDat;

/** Steps in small increments until `probe` holds; returns the emulated seconds it took. */
async function stepUntil(h: Harness, probe: (s: Awaited<ReturnType<Harness['state']>>) => boolean, limit: number, dt = 0.05): Promise<number> {
  const t0 = (await h.state()).wall;
  for (;;) {
    const s = await h.state();
    if (probe(s)) return s.wall - t0;
    if (s.wall - t0 > limit) throw new Error(`not within ${limit} s of emulated time`);
    await h.emu.request('advance', { seconds: dt, dt: FRAME });
  }
}

const hellos = (s: { outbox: { data: string }[] }): number => s.outbox.filter((o) => o.data.includes('"hello"')).length;
const loops = (s: { runs: { group: string | null }[] }): number => s.runs.filter((r) => r.group === 'tdcrowd_test_test').length;

describe.skipIf(!hasPython())('the connection under each TouchDesigner variant', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it('connects within 5 s of the relay listening when TouchDesigner started minutes before it', async () => {
      h = await startHarness({}, { serverUp: false, connect: false, variants });
      await h.emu.request('advance', { seconds: 300, dt: 0.05 });
      let s = await h.state();
      expect(s.connected).toBe(false);
      expect(s.active).toBe(true); // whatever the retry loop was doing, it never leaves Active off for long
      // attempts kept coming the whole time, never further apart than the never-connected cap
      const gaps = s.attemptsWall.slice(1).map((t, i) => t - (s.attemptsWall[i] ?? 0));
      expect(s.attemptsWall.length).toBeGreaterThan(300 / (RETRY_MAX_NEW + TOGGLE_S + SLACK));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(RETRY_MAX_NEW + TOGGLE_S + SLACK);
      await h.emu.request('server', { up: true });
      const took = await stepUntil(h, (x) => x.connected, 10);
      expect(took).toBeLessThanOrEqual(5);
      s = await h.state();
      expect(hellos(s)).toBe(1);
      expect(s.errors).toEqual([]);
    });

    it('reconnects after the relay restarts, with backoff capped low, and says hello again', async () => {
      h = await startHarness({}, { variants });
      let s = await h.state();
      expect(s.connected).toBe(true);
      expect(hellos(s)).toBe(1);
      await h.send(update('a', 1, 2, 3, 4));
      await h.emu.request('server', { up: false }); // the relay dies: the live connection is lost
      await h.emu.request('advance', { seconds: 60, dt: 0.05 });
      s = await h.state();
      expect(s.connected).toBe(false);
      const after = s.attemptsWall.filter((t) => t > s.wall - 55);
      const gaps = after.slice(1).map((t, i) => t - (after[i] ?? 0));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(RETRY_MAX + TOGGLE_S + SLACK);
      await h.emu.request('server', { up: true });
      expect(await stepUntil(h, (x) => x.connected, RETRY_MAX + 2)).toBeLessThanOrEqual(RETRY_MAX + TOGGLE_S + SLACK);
      s = await h.state();
      expect(hellos(s)).toBe(2);
      expect(s.errors).toEqual([]);
    });

    it('leaves Active switched off by a person alone, connected or not, and connects when it is switched on', async () => {
      h = await startHarness({}, { variants });
      await h.emu.request('set_par', { op: 'websocket1', name: 'active', value: false });
      let n = (await h.state()).attemptsWall.length;
      await h.emu.request('advance', { seconds: 60, dt: 0.05 });
      let s = await h.state();
      expect(s.active).toBe(false);
      expect(s.connected).toBe(false);
      expect(s.attemptsWall.length).toBe(n);
      // and while it is retrying
      await h.emu.request('server', { up: false });
      await h.emu.request('set_par', { op: 'websocket1', name: 'active', value: true });
      await h.emu.request('advance', { seconds: 10, dt: 0.05 });
      await h.emu.request('set_par', { op: 'websocket1', name: 'active', value: false });
      n = (await h.state()).attemptsWall.length;
      await h.emu.request('advance', { seconds: 60, dt: 0.05 });
      s = await h.state();
      expect(s.active).toBe(false);
      expect(s.attemptsWall.length).toBe(n);
      await h.emu.request('server', { up: true });
      await h.emu.request('set_par', { op: 'websocket1', name: 'active', value: true });
      expect(await stepUntil(h, (x) => x.connected, 5)).toBeLessThanOrEqual(1);
      expect((await h.state()).errors).toEqual([]);
    });

    it('keeps one service loop when the scripts are re-pasted or edited, connected or not, and keeps the users', async () => {
      h = await startHarness({}, { variants });
      await h.sendAll([update('a', 1, 1, 1, 1), update('b', 2, 2, 2, 2)]);
      await h.emu.request('advance', { seconds: 1, dt: 0.05 });
      expect(loops(await h.state())).toBe(1);
      // pasted again as is, then an edited text (another option): each time a new module
      for (const text of [executeText(), executeText({ timeout: 11 })]) {
        await h.emu.request('set_text', { op: EXECUTE_DAT, text });
        await h.emu.request('set_text', { op: 'websocket1_callbacks', text: callbacksText() });
        await h.emu.request('advance', { seconds: 2, dt: 0.05 });
        const s = await h.state();
        expect(loops(s)).toBeLessThanOrEqual(1);
        expect([...byUser(s.table).keys()].sort()).toEqual(['a', 'b']);
      }
      // while disconnected: still one loop, and the attempts keep their pace (a second loop would double them)
      await h.emu.request('server', { up: false });
      await h.emu.request('advance', { seconds: 5, dt: 0.05 });
      await h.emu.request('set_text', { op: EXECUTE_DAT, text: executeText() });
      const before = (await h.state()).attemptsWall.length;
      await h.emu.request('advance', { seconds: 30, dt: 0.05 });
      const s = await h.state();
      expect(loops(s)).toBeLessThanOrEqual(1);
      expect(s.attemptsWall.length - before).toBeLessThanOrEqual(Math.ceil(30 / RETRY_MAX) + 1);
      expect(s.attemptsWall.length - before).toBeGreaterThanOrEqual(Math.floor(30 / (RETRY_MAX + TOGGLE_S + SLACK)));
      await h.emu.request('server', { up: true });
      expect(await stepUntil(h, (x) => x.connected, RETRY_MAX + 2)).toBeLessThanOrEqual(RETRY_MAX + 1);
      // the users were pruned meanwhile (10 s silent): the table is the one the scripts keep
      expect(byUser((await h.state()).table).size).toBe(0);
      expect((await h.state()).errors).toEqual([]);
    });

    it('retries the hello when sendText returns a negative count', async () => {
      h = await startHarness({ sinkToken: 'a-token-of-16-chars+' }, { serverUp: true, connect: false, variants });
      await h.emu.request('fail_sends', { count: 2 });
      await h.emu.request('step');
      let s = await h.state();
      expect(s.connected).toBe(true);
      await h.emu.request('advance', { seconds: 1, dt: 0.05 });
      s = await h.state();
      expect(hellos(s)).toBe(1);
      expect(JSON.parse(s.outbox.find((o) => o.data.includes('hello'))!.data)).toEqual({ type: 'hello', role: 'sink', token: 'a-token-of-16-chars+' });
      expect(s.errors).toEqual([]);
    });

    it('starts over after the project is saved and opened again: empty table, connected, one loop', async () => {
      h = await startHarness({}, { variants });
      await h.sendAll([update('a', 1, 1, 1, 1)]);
      await h.emu.request('advance', { seconds: 1, dt: 0.05 });
      const r = await h.emu.request<Record<string, unknown>>('reopen');
      expect(r).toBeTruthy();
      const took = await stepUntil(h, (x) => x.connected, 5);
      expect(took).toBeLessThanOrEqual(3);
      await h.emu.request('advance', { seconds: 1, dt: 0.05 });
      const s = await h.state();
      expect(s.table).toEqual([['user', 'valuex', 'valuey', 'speed', 'angle']]);
      expect(loops(s)).toBe(1);
      await h.send(update('b', 5, 5, 5, 5));
      expect([...byUser((await h.state()).table).keys()]).toEqual(['b']);
      expect((await h.state()).errors).toEqual([]);
    });
  });
});
