/** docs/protocol.md, "Compatibility" (README, "Reliability"): the generated Python never raises on hostile input; it counts and ignores every bad message. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, update, type Harness } from './harness.js';
import { corpus } from './hostile-corpus.js';

describe.skipIf(!hasPython())('hostile corpus against the generated callbacks', () => {
  let h: Harness;
  const cases = corpus();
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it(`has at least 200 systematically generated cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it('never raises, counts every message, and keeps honest users exact', async () => {
    // honest users stream between the junk
    const honest = (i: number): string => JSON.stringify(update(`h${i % 5}`, i % 170, -(i % 170), i % 100, i % 360));
    const chunk = 25;
    let honestSent = 0;
    for (let i = 0; i < cases.length; i += chunk) {
      const mixed: string[] = [];
      for (const c of cases.slice(i, i + chunk)) {
        mixed.push(c, honest(honestSent++));
      }
      await h.emu.request('texts', { data: mixed });
    }
    for (let i = 0; i < 20; i++) await h.emu.request('binary', { b64: Buffer.from([0, 255, i]).toString('base64') });
    await h.emu.request('step');
    const s = await h.state();
    expect(s.errors).toEqual([]);
    const stats = s.stats;
    if (!stats) throw new Error('no stats');
    const ignored = Object.values(stats.ignored).reduce((a, b) => a + b, 0);
    expect(stats.received).toBe(stats.applied + ignored);
    expect(stats.frames).toBe(cases.length + honestSent + 20);
    expect(stats.ignored.internal).toBeUndefined();
    expect(stats.ignored.binary).toBe(20);
    for (const reason of ['not_json', 'not_object', 'non_finite', 'bad_value', 'out_of_range', 'bad_id', 'missing_id', 'unknown_type', 'bad_batch', 'nested_batch', 'too_large']) {
      expect(stats.ignored[reason], reason).toBeGreaterThan(0);
    }
    // every honest message was applied, and the table holds exactly the honest users' latest values
    const users = byUser(s.table);
    for (const [id, vals] of users) {
      if (!id.startsWith('h')) {
        // the only other ids a junk message could create are valid ones (e.g. the extra-field update for "victim")
        expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      }
      const [x, y, speed, angle] = vals.map(Number);
      expect(Math.abs(x ?? NaN)).toBeLessThanOrEqual(170);
      expect(Math.abs(y ?? NaN)).toBeLessThanOrEqual(170);
      expect(speed).toBeGreaterThanOrEqual(0);
      expect(angle).toBeLessThanOrEqual(360);
    }
    for (let u = 0; u < 5; u++) {
      const last = [...Array(honestSent).keys()].filter((i) => i % 5 === u).pop() ?? 0;
      expect(users.get(`h${u}`)).toEqual([String(last % 170), String(-(last % 170)), String(last % 100), String(last % 360)]);
    }
    // the ignored-message note is throttled, not one debug line per bad message
    expect(s.debugCount).toBeLessThan(10);
  });
});
