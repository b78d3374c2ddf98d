import { describe, expect, it } from 'vitest';
import { connectFrame, deleteFrame, parse, statusFrame, updateFrame } from '../../src/protocol/index.js';
import { valuesFromOffset, ZERO } from '../../src/web/client/joystick.js';
import { readRelayFrame } from '../../src/web/client/messages.js';

const ID = 'AbCdEfGhIjKlMnOpQrSt_-';
const TOKEN = 'RESUME_token-0123456789';

describe('messages the page sends (the protocol\'s serialisers, with the page\'s values)', () => {
  it('connect, with and without the resume token, is a valid controller message', () => {
    const plain = parse(connectFrame(ID), { origin: 'controller' });
    expect(plain).toMatchObject({ ok: true, kind: 'connect', message: { type: 'connect', sliderId: ID } });
    expect(JSON.parse(connectFrame(ID))).toEqual({ type: 'connect', sliderId: ID });
    const resumed = parse(connectFrame(ID, TOKEN), { origin: 'controller' });
    expect(resumed).toMatchObject({ ok: true, kind: 'connect', message: { sliderId: ID, resume: TOKEN } });
  });

  it('update carries the values, seq and t, in the tutorial shape', () => {
    const v = valuesFromOffset(-40, 25, 100);
    const text = updateFrame({ ...v, sliderId: ID, seq: 42, t: 1_700_000_000_123 });
    const r = parse(text, { origin: 'controller' });
    expect(r.ok).toBe(true);
    expect(r).toMatchObject({ kind: 'update' });
    expect(JSON.parse(text)).toEqual({ ...v, sliderId: ID, seq: 42, t: 1_700_000_000_123 });
    expect(parse(updateFrame({ ...ZERO, sliderId: ID, seq: 0, t: Date.now() }), { origin: 'controller' })).toMatchObject({ ok: true, kind: 'update' });
  });

  it('update stays valid at the extremes of the pad', () => {
    for (const [dx, dy] of [[1e6, 0], [0, -1e6], [-1e6, 1e6], [0.0001, -0.0001], [170, 0.00001]] as const) {
      const r = parse(updateFrame({ ...valuesFromOffset(dx, dy, 170), sliderId: ID, seq: 1, t: 1 }), { origin: 'controller' });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });

  it('delete is a valid controller message', () => {
    expect(parse(deleteFrame(ID), { origin: 'controller' })).toMatchObject({
      ok: true,
      kind: 'delete',
      message: { type: 'delete', sliderId: ID },
    });
  });
});

describe('reading relay frames', () => {
  it('reads the hue from a welcome when it is a whole degree 0-359, and ignores it otherwise', () => {
    const welcome = (hue: unknown): string => JSON.stringify({ type: 'welcome', sliderId: ID, resume: TOKEN, hue });
    expect(readRelayFrame(welcome(0))).toEqual({ kind: 'welcome', sliderId: ID, resume: TOKEN, hue: 0 });
    expect(readRelayFrame(welcome(359))).toEqual({ kind: 'welcome', sliderId: ID, resume: TOKEN, hue: 359 });
    for (const bad of [360, -1, 12.5, '120', null]) expect(readRelayFrame(welcome(bad))).toEqual({ kind: 'welcome', sliderId: ID, resume: TOKEN });
  });

  it('recognises ping, welcome and error', () => {
    expect(readRelayFrame('ping')).toEqual({ kind: 'ping' });
    expect(readRelayFrame(JSON.stringify({ type: 'welcome', sliderId: ID, resume: TOKEN }))).toEqual({
      kind: 'welcome',
      sliderId: ID,
      resume: TOKEN,
    });
    expect(readRelayFrame(JSON.stringify({ type: 'error', code: 'rate_limited', message: 'slow down' }))).toEqual({
      kind: 'error',
      code: 'rate_limited',
      message: 'slow down',
    });
  });

  it('ignores everything else without throwing', () => {
    const junk: unknown[] = [
      'pong',
      '',
      '{',
      '[1,2]',
      'null',
      '{"type":"welcome","sliderId":"x"}',
      '{"type":"welcome","sliderId":"x","resume":"bad token"}',
      '{"type":"error"}',
      '{"type":"batch","messages":[]}',
      '{"x":1,"y":2,"speed":3,"angle":4,"sliderId":5}',
      '{"type":"delete","sliderId":"x","reason":"closed"}',
      new Uint8Array([1, 2, 3]),
      new ArrayBuffer(4),
      null,
      42,
    ];
    for (const frame of junk) expect(readRelayFrame(frame)).toEqual({ kind: 'ignore' });
  });

  it('truncates long error texts', () => {
    const e = readRelayFrame(JSON.stringify({ type: 'error', code: 'schema', message: 'x'.repeat(5000) }));
    expect(e.kind).toBe('error');
    if (e.kind === 'error') expect(e.message.length).toBeLessThanOrEqual(160);
  });
});

describe('status from the relay (is a show listening?)', () => {
  it('reads the protocol\'s status frames, and ignores malformed ones', () => {
    expect(readRelayFrame(statusFrame(false))).toEqual({ kind: 'status', listening: false });
    expect(readRelayFrame(statusFrame(true))).toEqual({ kind: 'status', listening: true });
    expect(readRelayFrame('{"type":"status","listening":"no"}')).toEqual({ kind: 'ignore' });
    expect(readRelayFrame('{"type":"status"}')).toEqual({ kind: 'ignore' });
  });
});
