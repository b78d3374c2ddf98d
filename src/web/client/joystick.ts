/**
 * Joystick maths: pointer offset on screen → the protocol's x, y, speed, angle (docs/protocol.md, "Messages").
 * Pure functions, shared by the page and its tests. The pad's rim is the protocol's RIM joystick units.
 */
import { RIM } from '../../protocol/constants.js';

export interface JoystickValues {
  /** Knob offset from the centre, +x right, in joystick units [-RIM, RIM]. */
  readonly x: number;
  /** Knob offset from the centre, +y down (screen direction), in joystick units [-RIM, RIM]. */
  readonly y: number;
  /** Distance from the centre as percent of the rim, [0, 100]. */
  readonly speed: number;
  /** Degrees counter-clockwise from +x with y up, [0, 360). */
  readonly angle: number;
}

export const ZERO: JoystickValues = Object.freeze({ x: 0, y: 0, speed: 0, angle: 0 });

/** Two decimals keep frames short while staying far below a pixel on any phone. Never returns -0. */
export function round2(v: number): number {
  const r = Math.round(v * 100) / 100;
  return r === 0 ? 0 : r;
}

/** Degrees counter-clockwise from +x, with y growing downwards on screen (hence -y), normalised to [0, 360). */
export function angleOf(x: number, y: number): number {
  if (x === 0 && y === 0) return 0;
  let deg = (Math.atan2(-y, x) * 180) / Math.PI;
  if (deg < 0) deg += 360;
  const r = round2(deg);
  // 359.996 rounds to 360, which is the same direction as 0.
  return r >= 360 ? 0 : r;
}

/**
 * Values for a pointer at (dxPx, dyPx) CSS pixels from the pad centre, on a pad whose rim is radiusPx from the
 * centre. The knob stops at the rim: farther pointers keep their direction at full speed.
 */
export function valuesFromOffset(dxPx: number, dyPx: number, radiusPx: number): JoystickValues {
  if (!Number.isFinite(dxPx) || !Number.isFinite(dyPx) || !Number.isFinite(radiusPx) || radiusPx <= 0) return ZERO;
  let x = (dxPx / radiusPx) * RIM;
  let y = (dyPx / radiusPx) * RIM;
  const dist = Math.hypot(x, y);
  if (dist > RIM) {
    x = (x / dist) * RIM;
    y = (y / dist) * RIM;
  }
  const speed = Math.min(100, (Math.min(dist, RIM) / RIM) * 100);
  return {
    x: clampUnit(round2(x)),
    y: clampUnit(round2(y)),
    speed: round2(speed),
    angle: angleOf(x, y),
  };
}

function clampUnit(v: number): number {
  return v > RIM ? RIM : v < -RIM ? -RIM : v;
}

/** Where to draw the knob, in CSS pixels from the pad centre, for the given values. */
export function knobOffsetPx(values: JoystickValues, radiusPx: number): { dx: number; dy: number } {
  const scale = radiusPx > 0 && Number.isFinite(radiusPx) ? radiusPx / RIM : 0;
  return { dx: values.x * scale, dy: values.y * scale };
}

export function isZero(values: JoystickValues): boolean {
  return values.x === 0 && values.y === 0 && values.speed === 0;
}
