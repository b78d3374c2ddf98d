import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, RIM } from '../../src/protocol/index.js';
import {
  BURST_ON_S,
  BURST_PERIOD_S,
  createRng,
  knobAt,
  motionParams,
  PATTERNS,
  toWire,
  type Knob,
  type WireValues,
} from '../../src/simulate/patterns.js';
import { VirtualUser, type WireCounters } from '../../src/simulate/virtual-user.js';

const counters = (): WireCounters => ({ framesSent: 0, bytesSent: 0, framesReceived: 0, connectFailures: 0, closesByCode: {}, relayErrors: {}, opensBySource: {} });
const knob = (): Knob => ({ x: 0, y: 0, moving: false });
const wire = (): WireValues => ({ x: 0, y: 0, speed: 0, angle: 0 });

describe('patterns: every generated frame is a valid controller message', () => {
  it.each(PATTERNS)('%s: stamped and legacy frames parse as controller updates with the same values', (pattern) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 3600, noNaN: true }),
        fc.nat({ max: 2 ** 40 }),
        (seed, n, tS, seq) => {
          const user = new VirtualUser(100000 + n, motionParams(seed, n), 0, 0.5, counters(), n);
          const w = toWire(knobAt(pattern, motionParams(seed, n), tS, knob()), wire());
          const t = 1_764_000_000_000.123;
          for (const frame of [user.stampedFrame(w.x, w.y, w.speed, w.angle, seq, t), user.legacyFrame(w.x, w.y, w.speed, w.angle)]) {
            const r = parse(frame, { origin: 'controller' });
            expect(r.ok, frame).toBe(true);
            if (r.ok && r.kind === 'update') {
              expect(r.message).toMatchObject({ x: w.x, y: w.y, speed: w.speed, angle: w.angle, sliderId: 100000 + n });
            }
          }
          expect(Math.hypot(w.x, w.y)).toBeLessThanOrEqual(RIM + 0.01);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('connect and delete frames parse as controller messages', () => {
    const user = new VirtualUser(7, motionParams(1, 7), 0, 0, counters(), 7);
    expect(parse(user.connectFrame, { origin: 'controller' })).toMatchObject({ ok: true, kind: 'connect', message: { sliderId: 7 } });
    expect(parse(user.deleteFrame, { origin: 'controller' })).toMatchObject({ ok: true, kind: 'delete', message: { sliderId: 7 } });
  });

  it('speed and angle follow the tutorial formulas (angle counter-clockwise with y up)', () => {
    expect(toWire({ x: 170, y: 0, moving: true }, wire())).toEqual({ x: 170, y: 0, speed: 100, angle: 0 });
    expect(toWire({ x: 0, y: -85, moving: true }, wire())).toEqual({ x: 0, y: -85, speed: 50, angle: 90 });
    expect(toWire({ x: -170, y: 0, moving: true }, wire())).toEqual({ x: -170, y: 0, speed: 100, angle: 180 });
    expect(toWire({ x: 0, y: 170, moving: true }, wire())).toEqual({ x: 0, y: 170, speed: 100, angle: 270 });
    expect(toWire({ x: 0, y: 0, moving: false }, wire())).toEqual({ x: 0, y: 0, speed: 0, angle: 0 });
  });
});

describe('patterns: motion', () => {
  const sample = (pattern: (typeof PATTERNS)[number], seed: number, user: number, times: number[]): Knob[] =>
    times.map((t) => ({ ...knobAt(pattern, motionParams(seed, user), t, knob()) }));
  const times = Array.from({ length: 200 }, (_, i) => i * 0.05);

  it('circle keeps moving on a circle of constant radius', () => {
    const ks = sample('circle', 3, 11, times);
    expect(ks.every((k) => k.moving)).toBe(true);
    const radii = ks.map((k) => Math.hypot(k.x, k.y));
    expect(Math.max(...radii) - Math.min(...radii)).toBeLessThan(1e-9);
    expect(new Set(ks.map((k) => k.x.toFixed(3))).size).toBeGreaterThan(100);
  });

  it('still never moves', () => {
    expect(sample('still', 3, 11, times).every((k) => !k.moving && k.x === 0 && k.y === 0)).toBe(true);
  });

  it('burst moves every user together during the on-phase and releases them after it', () => {
    for (const user of [0, 1, 2, 50]) {
      expect(knobAt('burst', motionParams(9, user), BURST_ON_S / 2, knob()).moving).toBe(true);
      expect(knobAt('burst', motionParams(9, user), BURST_PERIOD_S + BURST_ON_S / 2, knob()).moving).toBe(true);
      expect(knobAt('burst', motionParams(9, user), (BURST_ON_S + BURST_PERIOD_S) / 2, knob())).toEqual({ x: 0, y: 0, moving: false });
    }
  });

  it('random alternates between gliding and released, and glides continuously', () => {
    const fine = Array.from({ length: 6000 }, (_, i) => i * 0.01);
    const ks = sample('random', 5, 3, fine);
    expect(ks.some((k) => k.moving)).toBe(true);
    expect(ks.some((k) => !k.moving)).toBe(true);
    for (let i = 1; i < ks.length; i++) {
      if (ks[i]!.moving && ks[i - 1]!.moving) {
        expect(Math.hypot(ks[i]!.x - ks[i - 1]!.x, ks[i]!.y - ks[i - 1]!.y)).toBeLessThan(RIM * 0.1);
      }
    }
  });

  it('is reproducible from the seed and differs across seeds', () => {
    expect(sample('random', 42, 8, times)).toEqual(sample('random', 42, 8, times));
    expect(sample('random', 42, 8, times)).not.toEqual(sample('random', 43, 8, times));
    const a = createRng(7);
    const b = createRng(7);
    const draws = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(draws);
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
  });
});
