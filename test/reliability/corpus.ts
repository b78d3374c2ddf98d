/**
 * The hostile corpus shared by the relay and the generated-Python suites: malformed and mutated frames, each
 * labelled with the category it exercises and the drop reason the relay owes it. Generated with fast-check
 * from fixed seeds (the same frames every run) plus hand-picked cases for the edges a generator rarely hits.
 *
 * The expected reasons are worked out here from the frame's construction, not by asking the protocol parser,
 * so the relay's classification is checked against an independent oracle.
 */
import fc from 'fast-check';

export type Reason =
  | 'binary'
  | 'not_json'
  | 'not_object'
  | 'schema'
  | 'wrong_direction'
  | 'id_mismatch'
  | 'not_utf8'
  | 'too_large';

export type Category =
  | 'bad_json'
  | 'mutated'
  | 'not_object'
  | 'deep_nesting'
  | 'huge_numbers'
  | 'huge_strings'
  | 'wrong_types'
  | 'unknown_fields'
  | 'wrong_direction'
  | 'spoof_other_id'
  | 'binary'
  | 'invalid_utf8'
  | 'oversize';

export interface HostileFrame {
  category: Category;
  /** A string is sent as a text frame; a Buffer as a binary frame, or as raw text bytes when `rawText`. */
  data: string | Buffer;
  rawText?: boolean;
  /** What the relay must count when a controller holding `own` sends it. */
  reason: Reason;
  /** The relay closes the connection with this code after the frame (so each needs its own connection). */
  closes?: 1007 | 1009;
}

export interface CorpusOptions {
  /** The id the sending connection has claimed. */
  own: string;
  /** A live id held by someone else (the frames that name it must be refused as id_mismatch). */
  victim: string;
  seed: number;
  /** Generated frames per generated category (hand-picked ones come on top). */
  perCategory: number;
  /** Largest frame the relay accepts (bytes); in-connection frames stay at or under it. */
  maxBytes?: number;
}

const MAX = 1024;
const FIELDS = ['x', 'y', 'speed', 'angle'] as const;
/** Values that are never a valid number field (raw JSON text, so 1e400 and 300-digit integers stay literal). */
const NOT_NUMBERS = ['null', 'true', 'false', '"1"', '""', '[]', '{}', '[1]', '{"a":1}', '"NaN"'];
const HUGE_NUMBERS = ['1e400', '-1e400', '9'.repeat(300), `-${'9'.repeat(300)}`, '1e308', '-1e308', '171', '-170.0001', '1.7976931348623157e308'];
/** Not an id: wrong type, out of range, or characters outside [A-Za-z0-9_-]. */
const BAD_IDS = ['-1', '1.5', '9007199254740992', '1e300', '""', `"${'a'.repeat(65)}"`, '"a b"', '"../x"', '"<script>alert(1)</script>"', '"\\n"', 'true', 'null', '[]', '{}', '["a"]'];

const bytes = (s: string): number => Buffer.byteLength(s);

/** An honest update's JSON text with fields in a fixed order (the base the mutations start from). */
export function honestText(id: string, seq: number, x = (seq % 340) - 170, y = 0): string {
  return `{"x":${x},"y":${y},"speed":${Math.min(100, (Math.abs(x) / 170) * 100)},"angle":${x < 0 ? 180 : 0},"sliderId":${JSON.stringify(id)},"seq":${seq}}`;
}

/** A valid update for `own` with one field replaced (or added) as raw JSON text. Built as text, so keys such as
 * `__proto__` and literals such as 1e400 survive. */
function updateWith(own: string, field: string, raw: string): string {
  const base: [string, string][] = [['x', '10'], ['y', '-20'], ['speed', '13'], ['angle', '296'], ['sliderId', JSON.stringify(own)]];
  const at = base.findIndex(([k]) => k === field);
  if (at >= 0) base[at] = [field, raw];
  else base.push([field, raw]);
  return `{${base.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** The schema's number ranges, restated independently of src/protocol (the oracle for "must be refused"). */
function validNumber(field: string, raw: string): boolean {
  const v = JSON.parse(raw) as unknown;
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  switch (field) {
    case 'x':
    case 'y':
      return v >= -170 && v <= 170;
    case 'speed':
      return v >= 0 && v <= 100;
    case 'angle':
      return v >= 0 && v <= 360;
    case 'seq':
      return Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
    case 't':
      return v >= 0;
    default:
      return false;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function handPicked(own: string, victim: string): HostileFrame[] {
  const o = JSON.stringify(own);
  const v = JSON.stringify(victim);
  const out: HostileFrame[] = [];
  const add = (category: Category, reason: Reason, data: string): void => void out.push({ category, reason, data });
  for (const t of ['', ' ', '{', '}', '{"x":', 'hello', 'undefined', "{'x':1}", '\u0000', '\ud800', 'PING', 'Ping', 'ping ', 'pong\n',
    '{"x":1,}', '{"x":01}', '\u2028', '"unterminated', 'NaN', 'Infinity', '-Infinity', '{"x":NaN}', '{"a":1}{"a":2}', '<script>alert(1)</script>',
    `{"x":1,"y":1,"speed":1,"angle":1,"sliderId":${o}`, '[', '[[[', `{"type":"delete","sliderId":${v}`, '\ufeff{}']) {
    add('bad_json', 'not_json', t);
  }
  // exactly at the limit: the relay must read it (and refuse it as not JSON), not close the connection
  add('bad_json', 'not_json', `{${'x'.repeat(MAX - 1)}`);
  for (const t of ['1', '-1', '1.5', 'true', 'false', 'null', '"str"', '[]', '[1,2]', '[{}]', `[{"x":1,"y":1,"speed":1,"angle":1,"sliderId":${o}}]`, '1e400', '""', '0']) {
    add('not_object', 'not_object', t);
  }
  add('deep_nesting', 'not_object', `${'['.repeat(500)}${']'.repeat(500)}`);
  add('deep_nesting', 'not_object', `${'[{"a":'.repeat(100)}1${'}]'.repeat(100)}`);
  add('deep_nesting', 'schema', `${'{"a":'.repeat(150)}1${'}'.repeat(150)}`);
  add('deep_nesting', 'schema', updateWith(own, 'x', `${'['.repeat(400)}${']'.repeat(400)}`));
  add('deep_nesting', 'schema', updateWith(own, 'sliderId', `${'{"sliderId":'.repeat(60)}${o}${'}'.repeat(60)}`));
  for (const f of [...FIELDS, 'seq', 't']) for (const n of HUGE_NUMBERS) if (!validNumber(f, n)) add('huge_numbers', 'schema', updateWith(own, f, n));
  for (const n of ['1e400', '9'.repeat(300), '9007199254740993', '1e20']) add('huge_numbers', 'schema', updateWith(own, 'sliderId', n));
  add('huge_strings', 'schema', updateWith(own, 'sliderId', `"${'a'.repeat(900)}"`));
  add('huge_strings', 'schema', updateWith(own, 'x', `"${'9'.repeat(900)}"`));
  add('huge_strings', 'schema', `{"type":"${'u'.repeat(900)}","sliderId":${o}}`);
  add('huge_strings', 'schema', `{"type":"connect","sliderId":${o},"resume":"${'A'.repeat(800)}"}`);
  add('huge_strings', 'schema', updateWith(own, 'note', `"${'\u00e9'.repeat(420)}"`));
  for (const f of [...FIELDS, 'seq', 't']) for (const bad of NOT_NUMBERS) add('wrong_types', 'schema', updateWith(own, f, bad));
  for (const f of ['seq']) for (const bad of ['-1', '1.5', '1e400']) add('wrong_types', 'schema', updateWith(own, f, bad));
  add('wrong_types', 'schema', updateWith(own, 't', '-1'));
  for (const id of BAD_IDS) {
    add('wrong_types', 'schema', updateWith(own, 'sliderId', id));
    add('wrong_types', 'schema', `{"type":"connect","sliderId":${id}}`);
    add('wrong_types', 'schema', `{"type":"delete","sliderId":${id}}`);
  }
  for (const t of ['null', '1', 'true', '[]', '{}', '"Update"', '"UPDATE"', '""', '"ping"', '"update "', '"connect\\u0000"']) {
    add('wrong_types', 'schema', updateWith(own, 'type', t));
  }
  add('wrong_types', 'schema', `{"x":1,"y":1,"speed":1,"angle":1}`);
  add('wrong_types', 'schema', `{"type":"update","sliderId":${o}}`);
  add('wrong_types', 'schema', `{"type":"connect"}`);
  add('wrong_types', 'schema', `{"type":"delete"}`);
  add('wrong_types', 'schema', `{"type":"connect","sliderId":${o},"resume":"short"}`);
  add('wrong_types', 'schema', `{"type":"connect","sliderId":${o},"resume":"${'!'.repeat(20)}"}`);
  add('wrong_types', 'schema', '{}');
  for (const k of ['colour', 'X', '__proto__', 'constructor', 'reason', 'role', 'token', '<img src=x onerror=alert(1)>', '', ' sliderId']) {
    add('unknown_fields', 'schema', updateWith(own, k, '1'));
  }
  // from a phone, a delete carrying the relay's reason is a delete with an unknown property
  add('unknown_fields', 'schema', `{"type":"delete","sliderId":${o},"reason":"timeout"}`);
  add('unknown_fields', 'schema', `{"type":"connect","sliderId":${o},"role":"sink"}`);
  for (const t of [
    '{"type":"hello","role":"sink"}',
    '{"type":"hello","role":"sink","token":"guess"}',
    '{"type":"hello"}',
    `{"type":"welcome","sliderId":${v},"resume":"AAAAAAAAAAAAAAAAAAAA"}`,
    '{"type":"error","code":"schema","message":"<b>x</b>"}',
    '{"type":"batch","messages":[]}',
    `{"type":"batch","messages":[${updateWith(victim, 'x', '0')}]}`,
    '{"type":"batch"}',
  ]) {
    add('wrong_direction', 'wrong_direction', t);
  }
  add('spoof_other_id', 'id_mismatch', updateWith(victim, 'x', '0'));
  add('spoof_other_id', 'id_mismatch', `{"type":"delete","sliderId":${v}}`);
  add('spoof_other_id', 'id_mismatch', `{"type":"connect","sliderId":${v}}`);
  add('spoof_other_id', 'id_mismatch', `{"type":"connect","sliderId":${v},"resume":"AAAAAAAAAAAAAAAAAAAAAAAA"}`);
  return out;
}

function generated(own: string, victim: string, seed: number, n: number, maxBytes: number): HostileFrame[] {
  const sample = <T>(arb: fc.Arbitrary<T>, salt: number): T[] => fc.sample(arb, { seed: seed * 31 + salt, numRuns: n });
  const fits = (f: HostileFrame): boolean => (typeof f.data === 'string' ? bytes(f.data) : f.data.length) <= maxBytes;
  const out: HostileFrame[] = [];
  const push = (frames: HostileFrame[]): void => void out.push(...frames.filter(fits));

  // text that cannot start a JSON value
  push(sample(fc.tuple(fc.constantFrom('}', ']', ':', ',', 'x', '\'', '#', 'ü'), fc.string({ maxLength: 120 })), 1).map(([a, b]) => ({ category: 'bad_json', reason: 'not_json', data: a + b })));
  // mutations of honest frames: strict prefixes, and character edits that leave it unparseable
  const mutation = fc.tuple(fc.nat({ max: 1_000_000 }), fc.nat(), fc.constantFrom('truncate', 'insert', 'replace', 'delete', 'swap'), fc.string({ minLength: 1, maxLength: 3 }));
  push(
    sample(mutation, 2)
      .map(([seq, pos, op, s]): HostileFrame | undefined => {
        const base = honestText(own, seq);
        const i = pos % base.length;
        const text =
          op === 'truncate' ? base.slice(0, i)
          : op === 'insert' ? base.slice(0, i) + s + base.slice(i)
          : op === 'replace' ? base.slice(0, i) + s + base.slice(i + s.length)
          : op === 'delete' ? base.slice(0, i) + base.slice(i + 1 + (pos % 3))
          : base.slice(0, i) + base.slice(i + 1, i + 2) + base.slice(i, i + 1) + base.slice(i + 2);
        return isJson(text) ? undefined : { category: 'mutated', reason: 'not_json', data: text };
      })
      .filter((f): f is HostileFrame => f !== undefined),
  );
  // JSON that is not an object
  push(sample(fc.oneof(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }), fc.double(), fc.integer(), fc.string({ maxLength: 60 }), fc.boolean(), fc.constant(null)), 3)
    .map((v) => ({ category: 'not_object', reason: 'not_object', data: JSON.stringify(v) ?? 'null' })));
  // nested junk in a number field
  push(sample(fc.jsonValue({ maxDepth: 6 }).filter((v) => typeof v !== 'number'), 4).map((v) => ({ category: 'deep_nesting', reason: 'schema', data: updateWith(own, 'x', JSON.stringify(v)) })));
  // numbers out of range (finite and beyond double range)
  const outOfRange = fc.oneof(fc.double({ min: 170.000001, max: 1e300, noNaN: true }), fc.double({ min: -1e300, max: -170.000001, noNaN: true }), fc.bigInt({ min: 10n ** 20n, max: 10n ** 200n }));
  push(sample(fc.tuple(fc.constantFrom('x', 'y'), outOfRange), 5).map(([f, v]) => ({ category: 'huge_numbers', reason: 'schema', data: updateWith(own, f, String(v)) })));
  push(sample(fc.tuple(fc.constantFrom('speed', 'angle'), fc.double({ min: 360.000001, max: 1e300, noNaN: true })), 6).map(([f, v]) => ({ category: 'huge_numbers', reason: 'schema', data: updateWith(own, f, String(v)) })));
  // long strings where ids or numbers belong
  push(sample(fc.tuple(fc.constantFrom('sliderId', 'x', 'type', 'colour'), fc.string({ minLength: 65, maxLength: 800 })), 7).map(([f, s]) => ({ category: 'huge_strings', reason: 'schema', data: updateWith(own, f, JSON.stringify(s)) })));
  // a wrong type in each field
  const notNumber = fc.oneof(fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }));
  const notId = fc.oneof(fc.string({ maxLength: 30 }).filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s)), fc.boolean(), fc.constant(null), fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d) || d < 0), fc.array(fc.nat(), { maxLength: 2 }));
  push(sample(fc.tuple(fc.constantFrom(...FIELDS, 'seq', 't'), notNumber), 8).map(([f, v]) => ({ category: 'wrong_types', reason: 'schema', data: updateWith(own, f, JSON.stringify(v)) })));
  push(sample(fc.tuple(fc.constantFrom('update', 'connect', 'delete'), notId), 9).map(([t, id]) => ({
    category: 'wrong_types',
    reason: 'schema',
    data: t === 'update' ? updateWith(own, 'sliderId', JSON.stringify(id)) : `{"type":"${t}","sliderId":${JSON.stringify(id)}}`,
  })));
  // unknown properties and unknown types
  const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['x', 'y', 'speed', 'angle', 'sliderId', 'type', 'seq', 't'].includes(k));
  push(sample(fc.tuple(key, fc.jsonValue({ maxDepth: 1 })), 10).map(([k, v]) => ({ category: 'unknown_fields', reason: 'schema', data: updateWith(own, k, JSON.stringify(v) ?? 'null') })));
  const type = fc.string({ maxLength: 12 }).filter((t) => !['update', 'connect', 'delete', 'hello', 'welcome', 'error', 'batch'].includes(t));
  push(sample(type, 11).map((t) => ({ category: 'unknown_fields', reason: 'schema', data: updateWith(own, 'type', JSON.stringify(t)) })));
  // messages only the relay or a sink may send
  push(sample(fc.constantFrom('hello', 'welcome', 'error', 'batch'), 12).map((t) => ({ category: 'wrong_direction', reason: 'wrong_direction', data: `{"type":"${t}","sliderId":${JSON.stringify(victim)}}` })));
  // well-formed frames for the victim's id
  const coord = fc.double({ min: -170, max: 170, noNaN: true }).map((d) => d + 0);
  push(sample(fc.tuple(coord, coord, fc.constantFrom('update', 'delete', 'connect')), 13).map(([x, y, t]) => ({
    category: 'spoof_other_id',
    reason: 'id_mismatch',
    data: t === 'update' ? JSON.stringify({ x, y, speed: Math.min(100, (Math.hypot(x, y) / 170) * 100), angle: 0, sliderId: victim }) : `{"type":"${t}","sliderId":${JSON.stringify(victim)}}`,
  })));
  // binary frames (also ones holding valid JSON: binary is never part of the protocol)
  for (const b of sample(fc.uint8Array({ minLength: 0, maxLength: 300 }), 14)) out.push({ category: 'binary', reason: 'binary', data: Buffer.from(b) });
  out.push({ category: 'binary', reason: 'binary', data: Buffer.from(honestText(own, 1)) });
  return out;
}

/** Frames a controller holding `own` can send without being disconnected, each with its expected drop reason. */
export function inConnectionCorpus(o: CorpusOptions): HostileFrame[] {
  const maxBytes = o.maxBytes ?? MAX;
  const all = [...handPicked(o.own, o.victim), ...generated(o.own, o.victim, o.seed, o.perCategory, maxBytes)];
  for (const f of all) {
    const size = typeof f.data === 'string' ? bytes(f.data) : f.data.length;
    if (size > maxBytes) throw new Error(`corpus bug: ${f.category} frame of ${size} bytes in the in-connection corpus`);
  }
  return all;
}

/**
 * Frames after which the relay closes the connection: invalid UTF-8 in a text frame (1007) and frames over the
 * size limit, text or binary (1009).
 */
export function closingCorpus(seed: number, n: number, maxBytes = MAX): HostileFrame[] {
  const out: HostileFrame[] = [];
  const bad = (data: Buffer): void => void out.push({ category: 'invalid_utf8', data, rawText: true, reason: 'not_utf8', closes: 1007 });
  for (const b of [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xc1, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82]]) {
    bad(Buffer.from(b));
  }
  bad(Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]));
  bad(Buffer.concat([Buffer.from(honestText('evil', 1)), Buffer.from([0xc3])]));
  const insertion = fc.tuple(fc.nat({ max: 10_000 }), fc.nat(), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80, 0x80], [0xf5, 0x80, 0x80, 0x80]));
  for (const [seq, pos, b] of fc.sample(insertion, { seed, numRuns: n })) {
    const base = Buffer.from(honestText('evil', seq));
    const i = pos % base.length;
    bad(Buffer.concat([base.subarray(0, i), Buffer.from(b), base.subarray(i)]));
  }
  const big = (data: string | Buffer): void => void out.push({ category: 'oversize', data, reason: 'too_large', closes: 1009 });
  big('x'.repeat(maxBytes + 1));
  big(`{"x":1,"y":1,"speed":1,"angle":1,"sliderId":"evil","pad":"${'p'.repeat(maxBytes)}"}`);
  big('\u00e9'.repeat(Math.ceil(maxBytes / 2) + 1)); // few characters, too many bytes
  big(Buffer.alloc(maxBytes + 1, 1));
  big('y'.repeat(1 << 20));
  for (const size of fc.sample(fc.integer({ min: maxBytes + 1, max: 64 * 1024 }), { seed: seed + 1, numRuns: n })) big('z'.repeat(size));
  return out;
}

/** Counts frames by a key. */
export function tally<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}
