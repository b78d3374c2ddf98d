/** The hostile corpus the generated callbacks of every target must count and ignore (SPEC §6). */

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

/** Malformed and hostile text frames (at least 200), built systematically. */
export function corpus(): string[] {
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

