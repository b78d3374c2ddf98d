/**
 * A colour per phone (docs/protocol.md, "Hue"): the relay gives each id a hue, 0–359, sent in `welcome` (the
 * page colours its knob) and in the `connect` frames sinks get (TouchDesigner colours the user's instance).
 *
 * Hues come from a counter stepped by the golden angle (360° / φ², about 137.5°): consecutive joins land far
 * apart on the colour wheel, and every run of recent joins stays spread out, whatever the crowd size. The
 * counter is behind `HueSource` so a cluster of relays can share one (e.g. a Redis INCR) and keep
 * neighbours apart across instances too.
 */
import { HUE_MAX, HUE_STEP } from '../protocol/index.js';

/** 360 / φ²: the step that spreads successive points most evenly around a circle (the protocol's HUE_STEP). */
export const GOLDEN_ANGLE = HUE_STEP;

/** Where hues come from: each call, the hue for the next phone to join. */
export interface HueSource {
  next(): number;
}

/** The n-th join's hue (n from 0): whole degrees, 0…359. */
export function goldenHue(n: number): number {
  return Math.round(n * GOLDEN_ANGLE) % (HUE_MAX + 1);
}

/** The default source: one counter per relay process. */
export class CounterHues implements HueSource {
  private n = 0;

  next(): number {
    return goldenHue(this.n++);
  }
}

/** Ids whose hue is remembered after their connection has gone (a phone back from sleep keeps its colour). */
export const REMEMBERED_HUES = 10_000;

/**
 * Hue per user key: a phone that reconnects under its id (after its old socket was already closed, so the id
 * was free again) gets its colour back instead of a new one. The oldest entries go first past `capacity`.
 */
export class HueBook {
  private readonly byKey = new Map<string, number>();

  constructor(
    private readonly source: HueSource = new CounterHues(),
    private readonly capacity = REMEMBERED_HUES,
  ) {}

  /** A hue decided elsewhere (relay --redis: the cluster's counter, or the instance a phone resumed from). */
  remember(key: string, hue: number): number {
    this.byKey.delete(key);
    this.byKey.set(key, hue);
    if (this.byKey.size > this.capacity) this.byKey.delete(this.byKey.keys().next().value as string);
    return hue;
  }

  hueFor(key: string): number {
    // Most recently used last (remember() moves it there), so the Map's insertion order is the eviction order.
    return this.remember(key, this.byKey.get(key) ?? this.source.next());
  }
}

/** The hue in a relay → sink connect frame's text (another instance's), if it carries one. */
export function hueInConnect(text: string): number | undefined {
  try {
    const hue = (JSON.parse(text) as { hue?: unknown }).hue;
    return typeof hue === 'number' && Number.isInteger(hue) && hue >= 0 && hue <= HUE_MAX ? hue : undefined;
  } catch {
    return undefined;
  }
}
