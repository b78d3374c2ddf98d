/**
 * Keeps secrets out of the log: sink tokens (right or wrong guesses) and resume tokens become their redacted
 * form (src/protocol/log.ts, REDACTED_PREFIX). A resume token from a log must not take over a live phone, and a
 * sink token from a log must not admit a stranger.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { REDACTED_PREFIX } from '../protocol/index.js';

/** Drawn per run: equal secrets stay equal within a log, and a weak sink token cannot be found by hashing guesses. */
const KEY = randomBytes(32);

const SECRET_KEYS = new Set(['token', 'resume']);
/** Cheap screen: a frame without these substrings holds no secret (an escaped key needs a `\u`). */
const MAY_HOLD_SECRET = /"(?:token|resume)"|\\u/;
/** For text that is not JSON: a secret key's string value, up to its closing quote or the end of the text. */
const SECRET_IN_TEXT = /("(?:token|resume)"\s*:\s*)"((?:[^"\\]|\\.)*)("?)/g;

export function redactedForm(secret: string): string {
  return REDACTED_PREFIX + createHmac('sha256', KEY).update(secret).digest('base64url').slice(0, 12);
}

/** The frame text as it may be logged: unchanged unless it holds a secret. */
export function redactFrame(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.replace(SECRET_IN_TEXT, (_m, key: string, secret: string, close: string) => `${key}"${redactedForm(secret)}${close}`);
  }
  return scrub(value) ? JSON.stringify(value) : text;
}

/** Replaces secret values in place, at any depth; true when it replaced any. */
function scrub(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let changed = false;
  if (Array.isArray(value)) {
    for (const v of value) changed = scrub(v) || changed;
    return changed;
  }
  const obj = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (SECRET_KEYS.has(k) && v !== null && typeof v !== 'boolean') {
      obj[k] = redactedForm(typeof v === 'string' ? v : JSON.stringify(v));
      changed = true;
    } else {
      changed = scrub(v) || changed;
    }
  }
  return changed;
}
