/** The shared rules in src/protocol: serialisers, the user key, the token bucket, the close-code table. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchFrame,
  CLOSE,
  CLOSE_CODES,
  connectFrame,
  deleteFrame,
  errorFrame,
  helloFrame,
  ID_PATTERN,
  MAX_ERROR_MESSAGE,
  MAX_SAFE_ID,
  parse,
  relayDeleteFrame,
  TokenBucket,
  UpdateFrameWriter,
  updateFrame,
  userKey,
  welcomeFrame,
  type SliderId,
} from '../../src/protocol/index.js';

const id: fc.Arbitrary<SliderId> = fc.oneof(fc.integer({ min: 0, max: MAX_SAFE_ID }), fc.stringMatching(new RegExp(ID_PATTERN)));
const TOKEN = 'abcdefghijklmnop_-0123';

describe('serialisers: every frame a sender builds is what parse() accepts from that sender', () => {
  it('controller frames', () => {
    fc.assert(
      fc.property(id, (sliderId) => {
        expect(parse(connectFrame(sliderId), { origin: 'controller' })).toEqual({ ok: true, kind: 'connect', message: { type: 'connect', sliderId } });
        expect(parse(connectFrame(sliderId, TOKEN), { origin: 'controller' })).toMatchObject({ ok: true, message: { resume: TOKEN } });
        expect(parse(deleteFrame(sliderId), { origin: 'controller' })).toEqual({ ok: true, kind: 'delete', message: { type: 'delete', sliderId } });
        const u = { x: -170, y: 12.25, speed: 100, angle: 359.99, sliderId };
        expect(parse(updateFrame(u), { origin: 'controller' })).toEqual({ ok: true, kind: 'update', message: u });
        expect(parse(updateFrame({ ...u, seq: 7, t: 1.5 }), { origin: 'controller' })).toEqual({ ok: true, kind: 'update', message: { ...u, seq: 7, t: 1.5 } });
      }),
      { numRuns: 50 },
    );
  });

  it('relay and sink frames', () => {
    expect(parse(relayDeleteFrame(5, 'timeout'), { origin: 'relay' })).toEqual({ ok: true, kind: 'relayDelete', message: { type: 'delete', sliderId: 5, reason: 'timeout' } });
    expect(parse(welcomeFrame('abc', TOKEN), { origin: 'relay' })).toMatchObject({ ok: true, kind: 'welcome' });
    expect(parse(errorFrame('id_taken', 'id 5 is in use'), { origin: 'relay' })).toMatchObject({ ok: true, kind: 'error', message: { code: 'id_taken' } });
    expect(JSON.parse(helloFrame())).toEqual({ type: 'hello', role: 'sink' });
    expect(parse(helloFrame({ token: 's3cret', batchHz: 30 }), { origin: 'sink' })).toEqual({
      ok: true,
      kind: 'hello',
      message: { type: 'hello', role: 'sink', token: 's3cret', batchHz: 30 },
    });
    const batch = batchFrame([connectFrame(1), updateFrame({ x: 1, y: 2, speed: 3, angle: 4, sliderId: 1 }), relayDeleteFrame('a', 'closed')]);
    expect(parse(batch, { origin: 'relay' })).toMatchObject({ ok: true, kind: 'batch' });
    expect(JSON.parse(batchFrame([]))).toEqual({ type: 'batch', messages: [] });
  });

  it('an error text longer than the protocol allows is cut to fit, ending in …', () => {
    const frame = JSON.parse(errorFrame('schema', 'x'.repeat(5000))) as { message: string };
    expect(frame.message).toHaveLength(MAX_ERROR_MESSAGE);
    expect(frame.message.endsWith('…')).toBe(true);
    expect(parse(errorFrame('schema', 'x'.repeat(5000)), { origin: 'relay' }).ok).toBe(true);
  });

  it('UpdateFrameWriter writes the same text as updateFrame, with any number printer that prints as JSON does', () => {
    const n = fc.double({ noNaN: true, noDefaultInfinity: true, min: -170, max: 170 });
    fc.assert(
      fc.property(id, n, n, n, n, fc.nat(), fc.double({ min: 0, max: 2e12, noNaN: true }), (sliderId, x, y, speed, angle, seq, t) => {
        const w = new UpdateFrameWriter(sliderId);
        expect(w.plain(x, y, speed, angle)).toBe(updateFrame({ x, y, speed, angle, sliderId }));
        expect(w.stamped(x, y, speed, angle, seq, t)).toBe(updateFrame({ x, y, speed, angle, sliderId, seq, t }));
      }),
    );
  });
});

describe('the user key', () => {
  it('an integer and its decimal string are one user; anything else is not', () => {
    expect(userKey(5)).toBe(userKey('5'));
    expect(userKey(MAX_SAFE_ID)).toBe(userKey(String(MAX_SAFE_ID)));
    expect(userKey(5)).not.toBe(userKey('05'));
    expect(userKey(0)).not.toBe(userKey('-0'));
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(userKey(a) === userKey(b)).toBe(String(a) === String(b));
      }),
    );
  });
});

describe('token bucket', () => {
  it('lets a burst through at once, then the rate; a clock stepping back refills nothing', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
    expect(b.take(-10_000)).toBe(false);
    expect(b.take(200)).toBe(true);
    // Never more than the burst, however long the pause.
    const idle = new TokenBucket(10, 2, 0);
    expect([idle.take(1e9), idle.take(1e9), idle.take(1e9)]).toEqual([true, true, false]);
  });
});

describe('close codes', () => {
  it('are distinct, each with a meaning, and CLOSE names the same numbers', () => {
    const codes = Object.values(CLOSE_CODES).map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, c] of Object.entries(CLOSE_CODES)) {
      expect(c.meaning.length, name).toBeGreaterThan(10);
      expect(CLOSE[name as keyof typeof CLOSE]).toBe(c.code);
    }
    expect(CLOSE.takenOver).toBe(4000);
  });
});
