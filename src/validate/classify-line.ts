/**
 * Tells, per line, a relay log envelope (`{"ts","dir","conn","role","msg","drop"?}`) from a bare protocol
 * message, so one file may hold either (or, oddly, both).
 */
import { Ajv } from 'ajv';
import { describeErrors, logEntrySchema, PING, PONG, type LogEntry } from '../protocol/index.js';

export type ClassifiedLine =
  | { kind: 'blank' }
  /** A well-formed envelope. */
  | { kind: 'envelope'; entry: LogEntry }
  /** Looks like an envelope (has its fields) but breaks its schema; `msg` is kept when present. */
  | { kind: 'bad-envelope'; problem: { path: string; message: string }; msg?: unknown; hasMsg: boolean }
  /** Anything else: the line is a frame as sent on the wire (JSON text, `ping`/`pong`, or garbage). */
  | { kind: 'bare'; text: string };

const validateEnvelope = new Ajv({ allErrors: false, strict: true }).compile<LogEntry>(logEntrySchema);

/**
 * No protocol message has any of these properties (hello's `role` is shared, so it does not count), so one of
 * them marks the line as an attempt at an envelope, judged by the envelope's schema.
 */
const ENVELOPE_MARKERS = ['msg', 'dir', 'conn', 'ts', 'drop'] as const;

function looksLikeEnvelope(obj: Record<string, unknown>): boolean {
  if ('msg' in obj) return true;
  // A message with a typo'd field (`ts` for `t`) is still a message: it names its type or id.
  if ('type' in obj || 'sliderId' in obj) return false;
  return ENVELOPE_MARKERS.some((key) => key in obj);
}

function describeEnvelopeError(): { path: string; message: string } {
  return describeErrors(validateEnvelope.errors);
}

export function classifyLine(text: string): ClassifiedLine {
  if (text.trim() === '') return { kind: 'blank' };
  // Only an object can be an envelope; anything else needs no JSON.parse here (parse() judges it later).
  if (text === PING || text === PONG || text.trimStart().charCodeAt(0) !== 0x7b /* { */) return { kind: 'bare', text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'bare', text };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'bare', text };
  const obj = value as Record<string, unknown>;
  if (!looksLikeEnvelope(obj)) return { kind: 'bare', text };
  if (validateEnvelope(obj)) return { kind: 'envelope', entry: obj };
  const { path, message } = describeEnvelopeError();
  const hasMsg = 'msg' in obj;
  return hasMsg
    ? { kind: 'bad-envelope', problem: { path, message: `log envelope: ${message}` }, msg: obj.msg, hasMsg }
    : { kind: 'bad-envelope', problem: { path, message: `log envelope: ${message}` }, hasMsg };
}
