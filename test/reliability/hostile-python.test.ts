/**
 * Hostile input (README, "Reliability"): the relay suite's hostile corpus, fed to the generated TouchDesigner callbacks in the emulator —
 * as plain text frames, wrapped in batches as a relay would send them, as binary frames, and as invalid UTF-8
 * both as binary and as a lenient decoder's text — with honest users' updates interleaved.
 * No callback raises; every message is counted (received = applied + ignored); honest rows are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byUser, startHarness, type Harness } from '../emulate/harness.js';
import { hasPython } from '../helpers/requirements.js';
import { closingCorpus, honestText, inConnectionCorpus, tally } from './corpus.js';
import { recordFigures } from '../helpers/figures.js';

const HONEST = 5;
const CHUNK = 25;

describe.skipIf(!hasPython())('the hostile corpus against the generated Python', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('never raises, counts every message, keeps honest rows exact', async () => {
    const corpus = [0, 1, 2].flatMap((i) => inConnectionCorpus({ own: `evil-${i}`, victim: 'victim', seed: 5000 + i, perCategory: 100 }));
    const closing = closingCorpus(77, 20);
    const texts = corpus.filter((f) => typeof f.data === 'string').map((f) => f.data as string);
    const binaries = [...corpus, ...closing].filter((f) => typeof f.data !== 'string').map((f) => f.data as Buffer);
    const oversize = closing.filter((f) => f.category === 'oversize' && typeof f.data === 'string').map((f) => f.data as string);
    // a lenient decoder turns invalid UTF-8 into U+FFFD: that text must be harmless too
    const replaced = closing.filter((f) => f.category === 'invalid_utf8').map((f) => (f.data as Buffer).toString('utf8'));
    // the same junk inside batches, spliced as raw text so literals like 1e400 and NaN-free junk reach Python as is
    const parsable = texts.filter((t) => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    });
    const batches: string[] = [];
    for (let i = 0; i < parsable.length; i += 20) batches.push(`{"type":"batch","messages":[${parsable.slice(i, i + 20).join(',')}]}`);
    const hostileTexts = [...texts, ...oversize, ...replaced, ...batches];

    const latest = new Map<string, string>();
    let honestSent = 0;
    let frames = 0;
    for (let i = 0; i < hostileTexts.length; i += CHUNK) {
      const mixed = hostileTexts.slice(i, i + CHUNK);
      for (let u = 0; u < HONEST; u++) {
        const id = `h${u}`;
        const text = honestText(id, honestSent, ((honestSent * 13) % 341) - 170, u * 10);
        latest.set(id, text);
        mixed.splice((u * 5) % (mixed.length + 1), 0, text);
        honestSent++;
      }
      frames += mixed.length;
      await h.emu.request('texts', { data: mixed });
    }
    for (const b of binaries) await h.emu.request('binary', { b64: b.toString('base64') });
    frames += binaries.length;
    await h.emu.request('step');

    const s = await h.state();
    expect(s.errors).toEqual([]);
    const stats = s.stats;
    if (!stats) throw new Error('the callbacks keep no stats');
    expect(stats.frames).toBe(frames);
    const ignored = Object.values(stats.ignored).reduce((a, b) => a + b, 0);
    expect(stats.received).toBe(stats.applied + ignored);
    // a frame is one message, except a batch, which is as many as it holds
    const messagesIn = (t: string): number => {
      try {
        const v = JSON.parse(t) as { type?: unknown; messages?: unknown };
        return v !== null && typeof v === 'object' && v.type === 'batch' && Array.isArray(v.messages) ? v.messages.length : 1;
      } catch {
        return 1;
      }
    };
    const batchItems = parsable.length;
    const expectedMessages = hostileTexts.reduce((a, t) => a + messagesIn(t), 0) + honestSent + binaries.length;
    expect(stats.received).toBe(expectedMessages);
    expect(stats.ignored.internal).toBeUndefined();
    expect(stats.ignored.binary).toBe(binaries.length);

    // honest rows: exactly each user's latest update
    const users = byUser(s.table);
    for (let u = 0; u < HONEST; u++) {
      const m = JSON.parse(latest.get(`h${u}`)!) as Record<string, number>;
      expect(users.get(`h${u}`), `h${u}`).toEqual([m.x, m.y, m.speed, m.angle].map(String));
    }
    // every other row is a valid id with in-range values (a corpus frame that is a valid message may apply)
    for (const [id, vals] of users) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      if (/^h\d$/.test(id)) continue;
      expect(['victim', 'evil', 'evil-0', 'evil-1', 'evil-2']).toContain(id);
      const [x, y, speed, angle] = vals.map(Number);
      for (const v of [x, y]) expect(Math.abs(v ?? NaN)).toBeLessThanOrEqual(170);
      expect(speed).toBeGreaterThanOrEqual(0);
      expect(speed).toBeLessThanOrEqual(100);
      expect(angle).toBeGreaterThanOrEqual(0);
      expect(angle).toBeLessThanOrEqual(360);
    }
    expect(s.debugCount).toBeLessThan(20);

    recordFigures('hostile-python', {
      pythonFramesTried: frames - honestSent,
      pythonFramesByKind: {
        text: texts.length,
        oversizeText: oversize.length,
        invalidUtf8AsReplacedText: replaced.length,
        batches: batches.length,
        batchItems,
        binary: binaries.length,
      },
      pythonCorpusByCategory: tally(corpus, (f) => f.category),
      pythonHonestUpdates: honestSent,
      pythonReceived: stats.received,
      pythonApplied: stats.applied,
      pythonIgnoredByReason: stats.ignored,
      pythonExceptions: s.errors.length,
    });
  }, 60_000);
});
