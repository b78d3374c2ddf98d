import { describe, expect, it } from 'vitest';
import { MAX_BATCH_FRAME_BYTES, MAX_FRAME_BYTES, parse, protocolSchema } from '../../src/protocol/index.js';

describe('parse: the tutorial wire format is accepted verbatim', () => {
  it.each([
    ['connect', '{"type":"connect","sliderId":42}', 'connect'],
    ['update without type', '{"x":12.5,"y":-170,"speed":73.2,"angle":271.5,"sliderId":42}', 'update'],
    ['update with type', '{"type":"update","x":0,"y":0,"speed":0,"angle":0,"sliderId":999}', 'update'],
    ['delete', '{"type":"delete","sliderId":7}', 'delete'],
    ['string id', '{"type":"connect","sliderId":"a-Zz_09"}', 'connect'],
    ['update with seq and t', '{"x":1,"y":2,"speed":3,"angle":4,"sliderId":5,"seq":0,"t":1700000000000}', 'update'],
    ['connect with resume', '{"type":"connect","sliderId":5,"resume":"abcdefghijklmnop"}', 'connect'],
  ])('%s', (_name, frame, kind) => {
    const r = parse(frame, { origin: 'controller' });
    expect(r).toMatchObject({ ok: true, kind });
    if (r.ok && 'message' in r) expect(r.message).toEqual(JSON.parse(frame));
  });

  it('keep-alive strings are their own kinds', () => {
    expect(parse('ping')).toEqual({ ok: true, kind: 'ping' });
    expect(parse('pong', { origin: 'controller' })).toEqual({ ok: true, kind: 'pong' });
  });

  it('relay-made messages parse from the relay', () => {
    expect(parse('{"type":"delete","sliderId":1,"reason":"timeout"}', { origin: 'relay' })).toMatchObject({ ok: true, kind: 'relayDelete' });
    expect(parse('{"type":"welcome","sliderId":1,"resume":"0123456789abcdef0123"}', { origin: 'relay' })).toMatchObject({ ok: true, kind: 'welcome' });
    expect(parse('{"type":"status","listening":false}', { origin: 'relay' })).toMatchObject({ ok: true, kind: 'status' });
    expect(parse('{"type":"status","listening":true}', { origin: 'controller' })).toMatchObject({ ok: false, reason: 'wrong_direction' });
    expect(parse('{"type":"status","listening":"no"}', { origin: 'relay' })).toMatchObject({ ok: false, reason: 'schema' });
    expect(
      parse('{"type":"batch","messages":[{"x":1,"y":1,"speed":1,"angle":1,"sliderId":1},{"type":"delete","sliderId":2,"reason":"closed"}]}', { origin: 'relay' }),
    ).toMatchObject({ ok: true, kind: 'batch' });
    expect(parse('{"type":"error","code":"id_taken","message":"id 1 is in use"}', { origin: 'relay' })).toMatchObject({ ok: true, kind: 'error' });
  });

  it('a sink hello, with token and batchHz', () => {
    expect(parse('{"type":"hello","role":"sink","token":"s3cret","batchHz":30}', { origin: 'sink' })).toMatchObject({ ok: true, kind: 'hello' });
  });
});

describe('parse: rejections carry a typed reason and a readable message', () => {
  const cases: Array<[string, string | Uint8Array, string, RegExp]> = [
    ['not JSON', '{"x":1,', 'not_json', /not JSON/],
    ['empty', '', 'not_json', /not JSON/],
    ['array', '[1,2]', 'not_object', /an array/],
    ['number', '42', 'not_object', /number/],
    ['null', 'null', 'not_object', /null/],
    ['string', '"hello"', 'not_object', /string/],
    ['x too big', '{"x":171,"y":0,"speed":0,"angle":0,"sliderId":1}', 'schema', /\/x must be <= 170/],
    ['y too small', '{"x":0,"y":-170.01,"speed":0,"angle":0,"sliderId":1}', 'schema', /\/y must be >= -170/],
    ['speed over 100', '{"x":0,"y":0,"speed":100.5,"angle":0,"sliderId":1}', 'schema', /\/speed/],
    ['negative angle', '{"x":0,"y":0,"speed":0,"angle":-1,"sliderId":1}', 'schema', /\/angle/],
    ['x as string', '{"x":"1","y":0,"speed":0,"angle":0,"sliderId":1}', 'schema', /\/x must be number/],
    ['missing y', '{"x":0,"speed":0,"angle":0,"sliderId":1}', 'schema', /\/y is required/],
    ['missing id', '{"type":"connect"}', 'schema', /sliderId/],
    ['negative id', '{"type":"connect","sliderId":-1}', 'schema', /\/sliderId must be an integer/],
    ['fractional id', '{"type":"connect","sliderId":1.5}', 'schema', /\/sliderId/],
    ['id too large', '{"type":"connect","sliderId":9007199254740992}', 'schema', /\/sliderId/],
    ['id with space', '{"type":"connect","sliderId":"a b"}', 'schema', /\/sliderId/],
    ['id script', '{"type":"connect","sliderId":"<script>"}', 'schema', /\/sliderId/],
    ['id too long', `{"type":"connect","sliderId":"${'a'.repeat(65)}"}`, 'schema', /\/sliderId/],
    ['empty id', '{"type":"connect","sliderId":""}', 'schema', /\/sliderId/],
    ['unknown property', '{"x":0,"y":0,"speed":0,"angle":0,"sliderId":1,"z":3}', 'schema', /unknown property "z"/],
    ['unknown type', '{"type":"explode","sliderId":1}', 'schema', /\/type must be one of/],
    ['type not a string', '{"type":5,"sliderId":1}', 'schema', /\/type/],
    ['negative seq', '{"x":0,"y":0,"speed":0,"angle":0,"sliderId":1,"seq":-1}', 'schema', /\/seq/],
    ['short resume', '{"type":"connect","sliderId":1,"resume":"abc"}', 'schema', /\/resume/],
    ['oversize', `{"type":"connect","sliderId":"${'a'.repeat(MAX_FRAME_BYTES)}"}`, 'too_large', /larger than 1024/],
    ['oversize in multibyte chars', `"${'é'.repeat(600)}"`, 'too_large', /larger than/],
    ['invalid utf-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'not_utf8', /UTF-8/],
    ['hello with bad batchHz', '{"type":"hello","role":"sink","batchHz":0}', 'schema', /\/batchHz/],
    ['hello with other role', '{"type":"hello","role":"admin"}', 'schema', /\/role must be "sink"/],
  ];
  it.each(cases)('%s', (_name, frame, reason, message) => {
    const r = parse(frame);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message).toMatch(message);
    }
  });

  it('binary frames are rejected as binary', () => {
    expect(parse(Buffer.from('{"type":"connect","sliderId":1}'), { binary: true })).toMatchObject({ ok: false, reason: 'binary' });
  });

  it('a controller may not send relay or sink messages', () => {
    expect(parse('{"type":"delete","sliderId":1,"reason":"timeout"}', { origin: 'controller' })).toMatchObject({ ok: false, reason: 'schema', message: /unknown property "reason"/ });
    expect(parse('{"type":"batch","messages":[]}', { origin: 'controller' })).toMatchObject({ ok: false, reason: 'wrong_direction' });
    expect(parse('{"type":"hello","role":"sink"}', { origin: 'controller' })).toMatchObject({ ok: false, reason: 'wrong_direction' });
    expect(parse('{"type":"connect","sliderId":1}', { origin: 'sink' })).toMatchObject({ ok: false, reason: 'wrong_direction' });
  });

  it('a batch with one bad item is rejected with the item path', () => {
    const r = parse('{"type":"batch","messages":[{"x":1,"y":1,"speed":1,"angle":1,"sliderId":1},{"x":999,"y":1,"speed":1,"angle":1,"sliderId":1}]}');
    expect(r).toMatchObject({ ok: false, reason: 'schema' });
    if (!r.ok) expect(r.path).toMatch(/^\/messages\/1/);
  });

  it('relay batch frames may exceed 1 KiB (one message per user), up to their own cap; nothing else may', () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ x: 1, y: 2, speed: 3, angle: 4, sliderId: i }));
    const big = JSON.stringify({ type: 'batch', messages: items });
    expect(big.length).toBeGreaterThan(MAX_FRAME_BYTES);
    expect(parse(big, { origin: 'relay' })).toMatchObject({ ok: true, kind: 'batch' });
    expect(parse(Buffer.from(big), { origin: 'any' })).toMatchObject({ ok: true, kind: 'batch' });
    expect(parse(big, { origin: 'controller' })).toMatchObject({ ok: false, reason: 'too_large' });
    const padded = `{"type":"welcome","sliderId":1,"resume":"0123456789abcdef0123"${' '.repeat(MAX_FRAME_BYTES)}}`;
    expect(parse(padded, { origin: 'relay' })).toMatchObject({ ok: false, reason: 'too_large', message: /1024/ });
    const huge = `{"type":"batch","messages":[${' '.repeat(MAX_BATCH_FRAME_BYTES)}]}`;
    expect(parse(huge, { origin: 'relay' })).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('Buffer input is accepted like text', () => {
    expect(parse(Buffer.from('{"type":"delete","sliderId":"ab"}'))).toMatchObject({ ok: true, kind: 'delete' });
  });
});

describe('protocolSchema', () => {
  it('is one JSON document with every message', () => {
    const doc = JSON.parse(JSON.stringify(protocolSchema));
    expect(Object.keys(doc.definitions).sort()).toEqual(
      ['batch', 'connect', 'delete', 'encoding', 'error', 'hello', 'relayConnect', 'relayDelete', 'sliderId', 'status', 'update', 'welcome'].sort(),
    );
    expect(doc.oneOf).toHaveLength(11);
  });
});
