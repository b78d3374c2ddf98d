/** Protocol messages as tests write them, and the table a sink builds from what it receives. */
import { expect } from 'vitest';

export type Json = Record<string, unknown>;

/** An update for a knob at (x, y), with the speed and angle the page would compute for it. */
export function update(id: number | string, x: number, y = 0, extra: Json = {}): Json {
  const speed = Math.min(100, (Math.hypot(x, y) / 170) * 100);
  let angle = (Math.atan2(-y, x) * 180) / Math.PI;
  angle = angle < 0 ? angle + 360 : angle + 0; // + 0 turns -0 into 0 (JSON has no -0)
  return { x, y, speed, angle, sliderId: id, ...extra };
}

/** Applies what a sink received to a table: one row per user (latest update), as TouchDesigner keeps it. */
export function tableOf(messages: Json[]): Map<string, Json> {
  const rows = new Map<string, Json>();
  const apply = (m: Json): void => {
    const key = String(m.sliderId);
    switch (m.type ?? 'update') {
      case 'connect':
        if (!rows.has(key)) rows.set(key, {});
        break;
      case 'update':
        rows.set(key, m);
        break;
      case 'delete':
        rows.delete(key);
        break;
      case 'batch':
        for (const inner of m.messages as Json[]) apply(inner);
        break;
      default:
    }
  };
  for (const m of messages) apply(m);
  return rows;
}

/** The connect a sink gets from the relay: the id, and the hue the relay gave the phone (src/relay/hue.ts). */
export function sinkConnect(id: number | string): Json {
  return { type: 'connect', sliderId: id, hue: expect.any(Number) };
}
