import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RIM } from '../../src/protocol/index.js';
import { angleOf, isZero, knobOffsetPx, round2, valuesFromOffset, ZERO } from '../../src/web/client/joystick.js';

describe('joystick maths', () => {
  it('maps the four directions with y growing downwards and the angle counter-clockwise with y up', () => {
    const r = 100; // pad radius in CSS px
    expect(valuesFromOffset(r, 0, r)).toEqual({ x: 170, y: 0, speed: 100, angle: 0 });
    expect(valuesFromOffset(0, -r, r)).toEqual({ x: 0, y: -170, speed: 100, angle: 90 });
    expect(valuesFromOffset(-r, 0, r)).toEqual({ x: -170, y: 0, speed: 100, angle: 180 });
    expect(valuesFromOffset(0, r, r)).toEqual({ x: 0, y: 170, speed: 100, angle: 270 });
  });

  it('scales CSS pixels to joystick units whatever the pad size', () => {
    // Half the radius to the right on a 340 px pad and on a 120 px pad: both 85 units, 50 %.
    expect(valuesFromOffset(85, 0, 170)).toEqual({ x: 85, y: 0, speed: 50, angle: 0 });
    expect(valuesFromOffset(30, 0, 60)).toEqual({ x: 85, y: 0, speed: 50, angle: 0 });
    const diag = valuesFromOffset(30, 30, 60);
    expect(diag.x).toBe(85);
    expect(diag.y).toBe(85);
    expect(diag.angle).toBe(315);
    expect(diag.speed).toBeCloseTo((Math.hypot(85, 85) / 170) * 100, 2);
  });

  it('clamps to the rim, keeping the direction', () => {
    const v = valuesFromOffset(300, -300, 100);
    expect(v.speed).toBe(100);
    expect(v.angle).toBe(45);
    expect(v.x).toBeCloseTo(170 / Math.SQRT2, 1);
    expect(v.y).toBeCloseTo(-170 / Math.SQRT2, 1);
    expect(valuesFromOffset(1e9, 0, 50)).toEqual({ x: 170, y: 0, speed: 100, angle: 0 });
  });

  it('returns zero for the centre and for degenerate input', () => {
    expect(valuesFromOffset(0, 0, 100)).toEqual(ZERO);
    expect(valuesFromOffset(Number.NaN, 3, 100)).toEqual(ZERO);
    expect(valuesFromOffset(3, 3, 0)).toEqual(ZERO);
    expect(valuesFromOffset(3, 3, Number.POSITIVE_INFINITY)).toEqual(ZERO);
    expect(isZero(ZERO)).toBe(true);
    expect(isZero(valuesFromOffset(1, 0, 100))).toBe(false);
  });

  it('never produces -0 or an angle of 360', () => {
    expect(Object.is(round2(-0.001), 0)).toBe(true);
    expect(angleOf(170, 0.0001)).toBe(0); // a hair below the +x axis: 359.99997 rounds to 360 → 0
    expect(Object.is(valuesFromOffset(-0.001, 0.001, 100).x, 0)).toBe(true);
  });

  it('keeps every output in the protocol ranges and consistent with the pointer direction', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -2000, max: 2000, noNaN: true }),
        fc.double({ min: -2000, max: 2000, noNaN: true }),
        fc.double({ min: 20, max: 800, noNaN: true }),
        (dx, dy, radius) => {
          const v = valuesFromOffset(dx, dy, radius);
          expect(Math.abs(v.x)).toBeLessThanOrEqual(170);
          expect(Math.abs(v.y)).toBeLessThanOrEqual(170);
          expect(v.speed).toBeGreaterThanOrEqual(0);
          expect(v.speed).toBeLessThanOrEqual(100);
          expect(v.angle).toBeGreaterThanOrEqual(0);
          expect(v.angle).toBeLessThan(360);
          // Signs follow the pointer (screen axes) once it is clearly off an axis.
          if (Math.abs(dx) > 1) expect(Math.sign(v.x)).toBe(Math.sign(dx));
          if (Math.abs(dy) > 1) expect(Math.sign(v.y)).toBe(Math.sign(dy));
          // speed is the distance in percent of the rim, to the rounding of x and y.
          expect(v.speed).toBeCloseTo((Math.min(Math.hypot(dx, dy) / radius, 1)) * 100, 0);
          // Angle round-trips to the direction: cos/sin with y up.
          if (v.speed > 5) {
            const rad = (v.angle * Math.PI) / 180;
            const len = Math.hypot(v.x, v.y);
            expect(Math.cos(rad) * len).toBeCloseTo(v.x, 0);
            expect(-Math.sin(rad) * len).toBeCloseTo(v.y, 0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('draws the knob where the values say, in the pad’s pixels', () => {
    expect(knobOffsetPx({ x: 170, y: -85, speed: 0, angle: 0 }, 100)).toEqual({ dx: 100, dy: -50 });
    expect(knobOffsetPx(ZERO, 100)).toEqual({ dx: 0, dy: 0 });
    expect(knobOffsetPx({ x: 170, y: 0, speed: 100, angle: 0 }, Number.NaN)).toEqual({ dx: 0, dy: 0 });
  });
});
