/**
 * Frames the page sends (SPEC §2, controller → relay) and how it reads what the relay sends back.
 * The page carries no JSON Schema validator: it builds exactly the protocol's shapes (the tests check them with
 * the protocol's parse()) and reads incoming frames defensively, ignoring anything it does not know.
 */
import type { JoystickValues } from './joystick.js';
import { isValidToken } from './identity.js';

export const PING = 'ping';
export const PONG = 'pong';
/** Relay error texts are shown to the user; keep them short. */
const MAX_NOTICE_CHARS = 160;

export function connectMessage(sliderId: string, resume?: string): string {
  return JSON.stringify(resume === undefined ? { type: 'connect', sliderId } : { type: 'connect', sliderId, resume });
}

/** The tutorial's update shape (no "type", which the protocol makes optional) plus seq and the sender clock. */
export function updateMessage(sliderId: string, v: JoystickValues, seq: number, t: number): string {
  return JSON.stringify({ x: v.x, y: v.y, speed: v.speed, angle: v.angle, sliderId, seq, t });
}

export function deleteMessage(sliderId: string): string {
  return JSON.stringify({ type: 'delete', sliderId });
}

export type RelayEvent =
  | { kind: 'ping' }
  | { kind: 'welcome'; sliderId: string | number; resume: string }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'ignore' };

const IGNORE: RelayEvent = Object.freeze({ kind: 'ignore' });

/** Classify one incoming frame. Never throws: unknown, binary or malformed frames are ignored. */
export function readRelayFrame(data: unknown): RelayEvent {
  if (typeof data !== 'string') return IGNORE;
  if (data === PING) return { kind: 'ping' };
  if (data.length === 0 || data[0] !== '{') return IGNORE;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return IGNORE;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return IGNORE;
  const msg = value as Record<string, unknown>;
  if (msg.type === 'welcome') {
    const id = msg.sliderId;
    if ((typeof id === 'string' || typeof id === 'number') && isValidToken(msg.resume)) {
      return { kind: 'welcome', sliderId: id, resume: msg.resume };
    }
    return IGNORE;
  }
  if (msg.type === 'error' && typeof msg.code === 'string') {
    const text = typeof msg.message === 'string' ? msg.message : '';
    return { kind: 'error', code: msg.code.slice(0, 40), message: text.slice(0, MAX_NOTICE_CHARS) };
  }
  return IGNORE;
}
