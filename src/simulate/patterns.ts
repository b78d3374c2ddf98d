/**
 * How virtual knobs move. Pure functions of (seed, user, run time) so a run is reproducible from `--seed` and
 * the hot path allocates nothing: `knobAt` writes into a caller-owned object.
 *
 * Units are the protocol's (src/protocol/schema.ts): x, y in [-RIM, RIM] with y down, speed in percent of the
 * rim, angle in degrees counter-clockwise from +x with y up — the tutorial page's formulas.
 */
import { RIM } from '../protocol/index.js';

export const PATTERNS = ['circle', 'random', 'still', 'burst'] as const;
export type PatternName = (typeof PATTERNS)[number];

/** Per-user constants drawn once from the seed. */
export interface MotionParams {
  readonly user: number;
  readonly seed: number;
  /** Circle radius in joystick units. */
  readonly radius: number;
  /** Angular velocity, rad/s (sign = direction). */
  readonly omega: number;
  readonly phase: number;
  /** Length of one random-walk segment, seconds. */
  readonly segmentS: number;
}

/** Where the knob is, and whether the finger is on the pad. */
export interface Knob {
  x: number;
  y: number;
  moving: boolean;
}

/** Burst pattern: everybody moves together for BURST_ON_S, then lets go until the period ends. */
export const BURST_PERIOD_S = 5;
export const BURST_ON_S = 1.5;
/** Random pattern: share of segments during which the finger is on the pad. */
export const RANDOM_MOVING_SHARE = 0.8;

/** 32-bit integer hash of up to three integers (a murmur3-style finaliser): stateless randomness. */
export function hash32(a: number, b = 0, c = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ Math.imul(c, 0x27d4eb2f), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) from three integers. */
export function unit(a: number, b = 0, c = 0): number {
  return hash32(a, b, c) / 4294967296;
}

/** Seeded PRNG (mulberry32) for sequential draws, e.g. which user churns next. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function motionParams(seed: number, user: number): MotionParams {
  const revPerS = 0.2 + 0.8 * unit(seed, user, 2);
  return {
    user,
    seed,
    radius: RIM * (0.3 + 0.65 * unit(seed, user, 1)),
    omega: 2 * Math.PI * revPerS * (unit(seed, user, 3) < 0.5 ? -1 : 1),
    phase: 2 * Math.PI * unit(seed, user, 4),
    segmentS: 1 + unit(seed, user, 5),
  };
}

/** Write the knob position of `p` at run time `tS` (seconds since the run started) into `out`. */
export function knobAt(pattern: PatternName, p: MotionParams, tS: number, out: Knob): Knob {
  switch (pattern) {
    case 'circle':
      return circle(p, tS, out);
    case 'burst': {
      const inCycle = tS - Math.floor(tS / BURST_PERIOD_S) * BURST_PERIOD_S;
      if (inCycle < BURST_ON_S) return circle(p, tS, out);
      return centre(out);
    }
    case 'random':
      return randomWalk(p, tS, out);
    case 'still':
      return centre(out);
  }
}

function circle(p: MotionParams, tS: number, out: Knob): Knob {
  const a = p.phase + p.omega * tS;
  out.x = p.radius * Math.cos(a);
  out.y = p.radius * Math.sin(a);
  out.moving = true;
  return out;
}

function centre(out: Knob): Knob {
  out.x = 0;
  out.y = 0;
  out.moving = false;
  return out;
}

function segmentMoving(p: MotionParams, k: number): boolean {
  return k >= 0 && unit(p.seed ^ 0x5bd1e995, p.user, k) < RANDOM_MOVING_SHARE;
}

/** Target point of segment k, uniform in the disc of radius 0.95 RIM. */
function target(p: MotionParams, k: number, out: Knob): void {
  const r = 0.95 * RIM * Math.sqrt(unit(p.seed ^ 0x1b873593, p.user, k));
  const a = 2 * Math.PI * unit(p.seed ^ 0xcc9e2d51, p.user, k);
  out.x = r * Math.cos(a);
  out.y = r * Math.sin(a);
}

const from: Knob = { x: 0, y: 0, moving: false };
const to: Knob = { x: 0, y: 0, moving: false };

/**
 * Piecewise walk: in each segment the finger either glides from the previous target to a new one (smoothstep)
 * or is off the pad (knob at the centre). A glide after a release starts from the centre, as a real thumb does.
 */
function randomWalk(p: MotionParams, tS: number, out: Knob): Knob {
  const pos = tS / p.segmentS;
  const k = Math.floor(pos);
  if (!segmentMoving(p, k)) return centre(out);
  if (segmentMoving(p, k - 1)) target(p, k - 1, from);
  else {
    from.x = 0;
    from.y = 0;
  }
  target(p, k, to);
  const f = pos - k;
  const s = f * f * (3 - 2 * f);
  out.x = from.x + (to.x - from.x) * s;
  out.y = from.y + (to.y - from.y) * s;
  out.moving = true;
  return out;
}

/** Round to two decimals, the precision the page's readout shows; keeps frames short. */
export function round2(v: number): number {
  // `+ 0` turns -0 into 0: the values must compare equal to what a JSON round trip gives back.
  return Math.round(v * 100) / 100 + 0;
}

/** Speed (percent of the rim, capped at 100) for a knob offset: the tutorial's formula. */
export function speedOf(x: number, y: number): number {
  const s = (Math.sqrt(x * x + y * y) / RIM) * 100;
  return s > 100 ? 100 : s;
}

/** Angle in degrees, counter-clockwise from +x with y up (screen y grows downwards): the tutorial's formula. */
export function angleOf(x: number, y: number): number {
  const a = (Math.atan2(-y, x) * 180) / Math.PI;
  return a < 0 ? a + 360 : a + 0;
}

/** The four numbers an update carries, as the page would send them. */
export interface WireValues {
  x: number;
  y: number;
  speed: number;
  angle: number;
}

/** Knob position → rounded wire values (speed and angle computed from the rounded x, y, as the page does). */
export function toWire(k: Knob, out: WireValues): WireValues {
  const x = round2(k.x);
  const y = round2(k.y);
  out.x = x;
  out.y = y;
  out.speed = round2(speedOf(x, y));
  out.angle = round2(angleOf(x, y));
  return out;
}
