/**
 * How the page reads what the relay sends it (docs/protocol.md, "Messages"). The page carries no JSON Schema
 * validator: it reads incoming frames defensively, ignoring anything it does not know. What it sends comes
 * from the protocol's serialisers (src/protocol/serialize.ts).
 */
import { PING } from '../../protocol/constants.js';
import { isValidToken } from './identity.js';

/** Relay error texts are shown to the user; keep them short. */
const MAX_NOTICE_CHARS = 160;

export type RelayEvent =
  | { kind: 'ping' }
  /** `hue`: the colour the relay gave this phone (0–359); relays before it send none. */
  | { kind: 'welcome'; sliderId: string | number; resume: string; hue?: number }
  /** Whether a sink (TouchDesigner) receives this phone's updates; relays before it never send it. */
  | { kind: 'status'; listening: boolean }
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
      const hue = msg.hue;
      return typeof hue === 'number' && Number.isInteger(hue) && hue >= 0 && hue < 360
        ? { kind: 'welcome', sliderId: id, resume: msg.resume, hue }
        : { kind: 'welcome', sliderId: id, resume: msg.resume };
    }
    return IGNORE;
  }
  if (msg.type === 'status') {
    return typeof msg.listening === 'boolean' ? { kind: 'status', listening: msg.listening } : IGNORE;
  }
  if (msg.type === 'error' && typeof msg.code === 'string') {
    const text = typeof msg.message === 'string' ? msg.message : '';
    return { kind: 'error', code: msg.code.slice(0, 40), message: text.slice(0, MAX_NOTICE_CHARS) };
  }
  return IGNORE;
}
