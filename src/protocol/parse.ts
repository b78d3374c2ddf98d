/**
 * One entry point that turns any frame into a typed message or a typed rejection.
 * Used by the relay (hot path), the simulator's sink, the validator and the tests.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_BATCH_FRAME_BYTES, MAX_FRAME_BYTES, PING, PONG } from './constants.js';
import { DIRECTIONS, type FrameKind } from './directions.js';
import type {
  BatchMessage,
  ConnectMessage,
  DeleteMessage,
  EncodingMessage,
  ErrorCode,
  ErrorMessage,
  HelloMessage,
  MessageKind,
  RelayConnectMessage,
  RelayDeleteMessage,
  UpdateMessage,
  StatusMessage,
  WelcomeMessage,
} from './types.js';
import { describeErrors, validators } from './validators.js';

/** Who sent the frame; decides which messages are allowed. `any` accepts every message of the protocol. */
export type Origin = 'controller' | 'sink' | 'relay' | 'any';

export type Parsed =
  | { ok: true; kind: 'ping' | 'pong' }
  | { ok: true; kind: 'connect'; message: ConnectMessage }
  | { ok: true; kind: 'relayConnect'; message: RelayConnectMessage }
  | { ok: true; kind: 'update'; message: UpdateMessage }
  | { ok: true; kind: 'delete'; message: DeleteMessage }
  | { ok: true; kind: 'relayDelete'; message: RelayDeleteMessage }
  | { ok: true; kind: 'hello'; message: HelloMessage }
  | { ok: true; kind: 'welcome'; message: WelcomeMessage }
  | { ok: true; kind: 'status'; message: StatusMessage }
  | { ok: true; kind: 'error'; message: ErrorMessage }
  | { ok: true; kind: 'batch'; message: BatchMessage }
  | { ok: true; kind: 'encoding'; message: EncodingMessage };

export type RejectReason = Extract<
  ErrorCode,
  'too_large' | 'not_utf8' | 'binary' | 'not_json' | 'not_object' | 'schema' | 'wrong_direction'
>;

export interface Rejected {
  ok: false;
  reason: RejectReason;
  /** Human-readable, e.g. `/x must be <= 170`. */
  message: string;
  /** JSON pointer into the message for schema errors. */
  path?: string;
}

export type ParseResult = Parsed | Rejected;

export interface ParseOptions {
  origin?: Origin;
  /** The frame arrived as a binary WebSocket frame. */
  binary?: boolean;
  /** Cap for single messages (default MAX_FRAME_BYTES). */
  maxBytes?: number;
  /** Cap for batch frames, where the origin may send them (default MAX_BATCH_FRAME_BYTES). */
  maxBatchBytes?: number;
}

const { controllerToRelay, sinkToRelay, relayToSink, relayToController } = DIRECTIONS;
const ALLOWED: Record<Origin, ReadonlySet<FrameKind>> = {
  controller: new Set(controllerToRelay),
  sink: new Set(sinkToRelay),
  relay: new Set([...relayToSink, ...relayToController]),
  any: new Set([...controllerToRelay, ...sinkToRelay, ...relayToSink, ...relayToController]),
};

const KNOWN_TYPES = ['connect', 'update', 'delete', 'hello', 'welcome', 'status', 'error', 'batch', 'encoding'];

function reject(reason: RejectReason, message: string, path?: string): Rejected {
  return path === undefined ? { ok: false, reason, message } : { ok: false, reason, message, path };
}

/**
 * The most UTF-8 bytes a frame from `origin` may have. Only the relay sends batches, and only they may exceed the
 * single-message cap.
 */
export function frameLimit(origin: Origin, isBatch: boolean, options: Pick<ParseOptions, 'maxBytes' | 'maxBatchBytes'> = {}): number {
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  return isBatch && ALLOWED[origin].has('batch') ? Math.max(maxBytes, options.maxBatchBytes ?? MAX_BATCH_FRAME_BYTES) : maxBytes;
}

export function parse(data: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const origin = options.origin ?? 'any';
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  // Before decoding, only the largest cap this sender may have applies; the kind of frame decides after.
  const cap = frameLimit(origin, true, options);
  if (options.binary) return reject('binary', 'binary frames are not part of the protocol; send JSON text');

  let text: string;
  let bytes: number;
  if (typeof data === 'string') {
    // A JS string's UTF-8 size is at most 3 bytes per UTF-16 unit: skip the byte count for the common short frame.
    bytes = data.length * 3 > maxBytes ? Buffer.byteLength(data, 'utf8') : data.length;
    if (bytes > cap) return tooLarge(cap);
    text = data;
  } else {
    bytes = data.byteLength;
    if (bytes > cap) return tooLarge(cap);
    if (!isUtf8(data)) return reject('not_utf8', 'frame is not valid UTF-8');
    text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  }

  if (text === PING || text === PONG) {
    return allowedFor(origin, text) ? { ok: true, kind: text } : wrongDirection(origin, text);
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return bytes > maxBytes ? tooLarge(maxBytes) : reject('not_json', `not JSON: ${(err as Error).message}`);
  }
  if (bytes > maxBytes) {
    const limit = frameLimit(origin, (value as { type?: unknown } | null)?.type === 'batch', options);
    if (bytes > limit) return tooLarge(limit);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject('not_object', `a message must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return check(value as Record<string, unknown>, origin);
}

function tooLarge(cap: number): Rejected {
  return reject('too_large', `frame is larger than ${cap} bytes`);
}

/** Validate an already-decoded value (e.g. a line of a log whose envelope was parsed). */
export function check(obj: Record<string, unknown>, origin: Origin = 'any'): ParseResult {
  const kind = kindOf(obj, origin);
  if (kind === undefined) {
    return reject('schema', `/type must be one of ${KNOWN_TYPES.map((t) => JSON.stringify(t)).join(', ')} (or absent for an update)`, '/type');
  }
  if (!allowedFor(origin, kind)) return wrongDirection(origin, kind);
  const validate = validators[kind];
  if (!validate(obj)) {
    const { path, message } = describeErrors(validate.errors);
    return reject('schema', `${kind}: ${message}`, path);
  }
  // The cast is sound: the compiled validator for `kind` has just accepted obj.
  return { ok: true, kind, message: obj } as Parsed;
}

/** Which message schema judges `obj` (undefined for an unknown `type`); the validator needs it to list every error. */
export function kindOf(obj: Record<string, unknown>, origin: Origin): MessageKind | undefined {
  const type = obj.type;
  switch (type) {
    case undefined:
    case 'update':
      return 'update';
    case 'delete':
      // Phones send plain deletes; the relay's carry a reason. Judge by who sent it, or by the shape when unknown.
      if (origin === 'controller') return 'delete';
      if (origin === 'relay') return 'relayDelete';
      return 'reason' in obj ? 'relayDelete' : 'delete';
    case 'connect':
      // Phones may carry a resume token; the relay's carry a hue (and, to f32-columns sinks, an index) instead.
      // Judge by who sent it, or by the shape.
      if (origin === 'controller') return 'connect';
      if (origin === 'relay') return 'relayConnect';
      return 'hue' in obj || 'index' in obj ? 'relayConnect' : 'connect';
    case 'hello':
    case 'welcome':
    case 'status':
    case 'error':
    case 'batch':
    case 'encoding':
      return type;
    default:
      return undefined;
  }
}

function allowedFor(origin: Origin, kind: FrameKind): boolean {
  return ALLOWED[origin].has(kind);
}

function wrongDirection(origin: Origin, kind: string): Rejected {
  return reject('wrong_direction', `a ${origin} may not send "${kind}"`);
}
