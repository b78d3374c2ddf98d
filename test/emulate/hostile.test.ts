/** docs/protocol.md, "Compatibility" (README, "Reliability"): the generated Python never raises on hostile input; it counts and ignores every bad message. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, update, type Harness } from './harness.js';

const FIELDS = ['x', 'y', 'speed', 'angle', 'sliderId', 'type'] as const;
/** Raw JSON fragments, so literals JSON.stringify cannot produce (NaN, 1e400, huge ints) are included. */
const BAD_VALUES = [
  'null', 'true', 'false', '"1"', '""', '[]', '{}', '[1]', '{"a":1}', 'NaN', 'Infinity', '-Infinity', '1e400',
  '-1e400', '1e308', '-1e308', '9'.repeat(300), '-' + '9'.repeat(300), '1' + '0'.repeat(5000), '171', '-171',
  '360.0001', '-0.5', '1.5', `"${'a'.repeat(70)}"`, '"bad id!"', '"\\u00fc"', `"${'x'.repeat(100_000)}"`,
  '[[[[[[[[[[]]]]]]]]]]', '{"nested":{"deeper":[1,{"x":NaN}]}}',
];

function withField(field: string, raw: string): string {
  const base: Record<string, string> = { x: '10', y: '20', speed: '30', angle: '40', sliderId: '"victim"' };
  base[field] = raw;
  return `{${Object.entries(base).map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

function corpus(): string[] {
  const out: string[] = [];
  // not JSON at all
  out.push('', ' ', '{', '}', '{"x":', 'hello', 'undefined', "{'x':1}", '\u0000', '\ud800', 'PING', 'pingg', 'ping ',
    '['.repeat(100_000), '{"a":'.repeat(50_000), 'x'.repeat(5_000_000), '{"x":1,}', '{"x":01}', '\u2028', '"unterminated');
  // JSON, but not an object
  out.push('1', '-1', '1.5', 'true', 'false', 'null', '"str"', '[]', '[1,2]', '[{}]', '[{"x":1,"y":1,"speed":1,"angle":1,"sliderId":1}]', 'NaN', 'Infinity', '-Infinity', '1e400');
  // every field with every bad value
  for (const f of FIELDS) for (const v of BAD_VALUES) out.push(withField(f, v));
  // out of range or malformed ids
  for (const id of ['-1', '9007199254740992', '1.5', '1e20', '""', `"${'a'.repeat(65)}"`, '"a b"', '"a/b"', '"../x"', '"\\n"', 'true']) {
    out.push(`{"x":1,"y":1,"speed":1,"angle":1,"sliderId":${id}}`, `{"type":"delete","sliderId":${id}}`, `{"type":"connect","sliderId":${id}}`);
  }
  // missing fields and ids
  out.push('{}', '{"type":"update"}', '{"type":"delete"}', '{"type":"connect"}', '{"x":1,"y":1,"speed":1,"angle":1}',
    '{"x":1,"y":1,"speed":1,"sliderId":1}', '{"type":"delete","sliderId":"never-seen"}');
  // unknown and odd types
  for (const t of ['"hello"', '"welcome"', '"error"', '"Update"', '"UPDATE"', '""', '"batchx"', '1', 'null', '["update"]', '{"t":1}', 'true']) {
    out.push(`{"type":${t},"x":1,"y":1,"speed":1,"angle":1,"sliderId":"victim"}`);
  }
  // batches holding junk
  out.push('{"type":"batch"}', '{"type":"batch","messages":null}', '{"type":"batch","messages":{}}', '{"type":"batch","messages":"x"}',
    '{"type":"batch","messages":[null,1,"x",[],{},true]}', '{"type":"batch","messages":[{"type":"batch","messages":[]}]}',
    `{"type":"batch","messages":[${withField('x', 'NaN')},${withField('sliderId', 'true')},{"type":"delete"}]}`,
    `{"type":"batch","messages":[${Array.from({ length: 25_000 }, () => '1').join(',')}]}`,
    '{"type":"batch","messages":[[[[[[[[]]]]]]]]}', '{"type":"batch","messages":[{"x":1e400,"y":1,"speed":1,"angle":1,"sliderId":1}]}');
  // JSON that Python accepts and JS would not produce: duplicate keys, lone surrogates in ids
  out.push('{"x":1,"x":NaN,"y":1,"speed":1,"angle":1,"sliderId":1}', '{"x":1,"y":1,"speed":1,"angle":1,"sliderId":"\\ud800"}');
  return out;
}

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
