import { describe, expect, it } from 'vitest';
import { valuesFromOffset } from '../../src/web/client/joystick.js';
import { angleDelta, MAX_TILT_DEG, screenTilt, TiltTracker } from '../../src/web/client/tilt.js';

describe('tilt → joystick values', () => {
  it('wraps angle differences into [-180, 180)', () => {
    expect(angleDelta(10, 350)).toBe(20);
    expect(angleDelta(-170, 170)).toBe(20);
    expect(angleDelta(170, -170)).toBe(-20);
    expect(angleDelta(45, 45)).toBe(0);
  });

  it('the first reading is the centre; tilting MAX_TILT_DEG reaches the rim, with the knob geometry', () => {
    const t = new TiltTracker();
    t.start();
    expect(t.feed(40, 5)).toEqual({ x: 0, y: 0, speed: 0, angle: 0 });
    expect(t.feed(40 - MAX_TILT_DEG, 5)).toEqual({ x: 0, y: -170, speed: 100, angle: 90 }); // top tipped away: up
    expect(t.feed(40, 5 + MAX_TILT_DEG / 2)).toEqual({ x: 85, y: 0, speed: 50, angle: 0 }); // right edge down: right
    expect(t.feed(40 + 10, 5 - 7)).toEqual(valuesFromOffset(-7, 10, MAX_TILT_DEG));
    expect(t.feed(40 + 80, 5 + 80)!.speed).toBe(100); // beyond the range: on the rim
  });

  it('ignores readings without angles (a desktop without sensors sends nulls) and restarts its centre', () => {
    const t = new TiltTracker();
    t.start();
    expect(t.feed(null, null)).toBeUndefined();
    expect(t.feed(Number.NaN, 0)).toBeUndefined();
    expect(t.started).toBe(false);
    t.feed(0, 0);
    expect(t.feed(10, 0)!.y).toBeGreaterThan(0);
    t.start();
    expect(t.feed(10, 0)).toEqual({ x: 0, y: 0, speed: 0, angle: 0 });
  });

  it('turns with the screen: the edge that goes down is the way the marble rolls, in portrait and landscape', () => {
    expect(screenTilt(0, 10, 0)).toEqual({ dx: 10, dy: 0 });
    expect(screenTilt(-10, 0, 0)).toEqual({ dx: 0, dy: -10 });
    // beta grows: the phone's bottom edge goes down; turned counter-clockwise (90°) that edge is the screen's right.
    const l = screenTilt(10, 0, 90);
    expect(l.dx).toBeCloseTo(10);
    expect(l.dy).toBeCloseTo(0);
    // gamma grows: the phone's right edge goes down; turned clockwise (270°) that edge is the screen's bottom.
    const r = screenTilt(0, 10, 270);
    expect(r.dx).toBeCloseTo(0);
    expect(r.dy).toBeCloseTo(10);
  });
});

describe('tilt noise', () => {
  it('a phone held still (sensor noise under a twentieth of a degree) gives the same values', () => {
    const t = new TiltTracker();
    t.start();
    t.feed(40, 0);
    const a = t.feed(30.01, 5.02);
    const b = t.feed(29.98, 4.99);
    expect(a).toEqual(b);
    expect(a).toEqual(valuesFromOffset(5, -10, MAX_TILT_DEG));
  });
});
