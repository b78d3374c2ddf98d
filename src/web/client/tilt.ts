/**
 * Tilt mode: the phone's orientation (DeviceOrientation beta, gamma) → the same x, y, speed and angle the knob
 * produces, through the knob's own geometry (joystick.ts): tilting MAX_TILT_DEG from where the phone was held
 * when tilt started reaches the rim. DOM-free; the page feeds it events.
 */
import { valuesFromOffset, type JoystickValues } from './joystick.js';

/** Degrees of tilt from the starting posture that reach the rim: enough to steer without craning the wrist. */
export const MAX_TILT_DEG = 25;

/** A difference of two angles, wrapped into [-180, 180) (beta wraps at ±180). */
export function angleDelta(a: number, b: number): number {
  const d = (((a - b) % 360) + 540) % 360 - 180;
  return d === 0 ? 0 : d;
}

/**
 * The tilt in screen directions, like a marble on a tray: the right edge going down moves it right (+x), the top
 * tipping away from the person moves it up (-y, screen direction). `screenAngle` is screen.orientation.angle (90:
 * the phone turned counter-clockwise, landscape).
 */
export function screenTilt(dBeta: number, dGamma: number, screenAngle: number): { dx: number; dy: number } {
  const a = (screenAngle * Math.PI) / 180;
  const cos = Math.round(Math.cos(a) * 1e9) / 1e9;
  const sin = Math.round(Math.sin(a) * 1e9) / 1e9;
  // Device frame: gamma grows as the right edge goes down; beta falls as the top tips away (flat on a table is 0).
  const dx = dGamma;
  const dy = dBeta;
  return { dx: cos * dx + sin * dy, dy: -sin * dx + cos * dy };
}

export class TiltTracker {
  #neutral: { beta: number; gamma: number } | undefined;

  /** The first reading since start() is the neutral posture (the centre of the pad). */
  start(): void {
    this.#neutral = undefined;
  }

  get started(): boolean {
    return this.#neutral !== undefined;
  }

  /** Values for one reading; undefined for a reading without angles (a desktop without sensors sends nulls). */
  feed(beta: number | null | undefined, gamma: number | null | undefined, screenAngle = 0): JoystickValues | undefined {
    if (typeof beta !== 'number' || typeof gamma !== 'number' || !Number.isFinite(beta) || !Number.isFinite(gamma)) return undefined;
    this.#neutral ??= { beta, gamma };
    const { dx, dy } = screenTilt(angleDelta(beta, this.#neutral.beta), angleDelta(gamma, this.#neutral.gamma), screenAngle);
    // Tenths of a degree: a phone held still reports the same values instead of sensor noise 60 times a second.
    return valuesFromOffset(tenth(dx), tenth(dy), MAX_TILT_DEG);
  }
}

function tenth(v: number): number {
  const r = Math.round(v * 10) / 10;
  return r === 0 ? 0 : r;
}
