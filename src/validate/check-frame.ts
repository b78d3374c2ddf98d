/**
 * Checks one frame against the protocol, for the sender the log names. Thin over `parse`/`check` from
 * src/protocol: the protocol's rules live there, once.
 */
import { check, frameLimit, parse, type Origin, type ParseResult } from '../protocol/index.js';
import type { LogEntry } from '../protocol/index.js';
import { everySchemaError, type SchemaError } from './schema-errors.js';

/**
 * Who sent a logged frame. `unidentified` is a connection the relay had not yet classed (role `unknown`): it may
 * open as a controller (connect) or a sink (hello).
 */
export type Sender = Origin | 'unidentified';

export function senderOf(entry: Pick<LogEntry, 'dir' | 'role'>): Sender {
  if (entry.dir === 'out') return 'relay';
  if (entry.role === 'controller') return 'controller';
  if (entry.role === 'sink') return 'sink';
  return 'unidentified';
}

/** A frame as the relay logged it: the decoded JSON value, or the raw text when it was not JSON. */
export function checkLoggedFrame(msg: unknown, sender: Sender): ParseResult {
  if (sender === 'unidentified') {
    const asController = checkLoggedFrame(msg, 'controller');
    if (asController.ok || asController.reason !== 'wrong_direction') return asController;
    const asSink = checkLoggedFrame(msg, 'sink');
    if (asSink.ok || asSink.reason !== 'wrong_direction') return asSink;
    return { ...asSink, message: asSink.message.replace('a sink', 'a connection that is neither controller nor sink yet') };
  }
  if (typeof msg === 'string') return parse(msg, { origin: sender });
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    const what = msg === null ? 'null' : Array.isArray(msg) ? 'an array' : typeof msg;
    return { ok: false, reason: 'not_object', message: `a message must be a JSON object, got ${what}` };
  }
  // The log holds the decoded value, so its size on the wire is that of its re-serialisation.
  const bytes = Buffer.byteLength(JSON.stringify(msg), 'utf8');
  const cap = frameLimit(sender, (msg as { type?: unknown }).type === 'batch');
  if (bytes > cap) {
    return { ok: false, reason: 'too_large', message: `frame is larger than ${cap} bytes (${bytes} re-serialised)` };
  }
  return check(msg as Record<string, unknown>, sender);
}

/** A line of plain JSONL: the frame exactly as it would travel, from any sender. */
export function checkBareFrame(text: string): ParseResult {
  return parse(text, { origin: 'any' });
}

/** Column of a JSON syntax error, from the engine's `at position N` (0-based) message. */
export function syntaxErrorColumn(message: string): number | undefined {
  const m = /at position (\d+)/.exec(message);
  return m ? Number(m[1]) + 1 : undefined;
}

/**
 * Every schema error of a frame `checkLoggedFrame` or `checkBareFrame` rejected for its schema. `frame` is what
 * was checked: the logged value, or the line's text.
 */
export function schemaErrorsOf(frame: unknown, sender: Sender | 'any'): SchemaError[] {
  let value = frame;
  if (typeof frame === 'string') {
    try {
      value = JSON.parse(frame);
    } catch {
      return [];
    }
  }
  // An unidentified connection's frame was judged as a controller's first (see checkLoggedFrame); the sender only
  // tells a phone's delete from the relay's, and hello has the same schema either way.
  return everySchemaError(value, sender === 'unidentified' ? 'controller' : sender);
}
