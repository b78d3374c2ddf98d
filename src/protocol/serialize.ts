/**
 * Every frame the relay, the simulator and the page build, built here (docs/protocol.md, "Messages"), so every
 * sender agrees on names, shapes and order. Browser-safe: the page loads this file as it is.
 *
 * Messages from values go through JSON.stringify. The simulator's hot path writes tens of thousands of updates
 * a second and cannot afford a fresh object per frame: UpdateFrameWriter builds the same text by concatenation.
 */
import { COLUMNS_VERSION, MAX_BATCH_FRAME_BYTES, MAX_BATCH_MESSAGES, MAX_ERROR_MESSAGE } from './constants.js';
import type { DeleteReason, Encoding, ErrorCode, ProtocolMessage, SliderId } from './types.js';

/** Any message of the protocol as its wire text. */
export function serialize(message: ProtocolMessage): string {
  return JSON.stringify(message);
}

/** controller → relay, and relay → sink (without `resume`): the id is here. */
export function connectFrame(sliderId: SliderId, resume?: string): string {
  return JSON.stringify(resume === undefined ? { type: 'connect', sliderId } : { type: 'connect', sliderId, resume });
}

/** relay → sink: the user is present, with the hue its phone was given (none from relays that give none). */
export function relayConnectFrame(sliderId: SliderId, hue?: number): string {
  return JSON.stringify(hue === undefined ? { type: 'connect', sliderId } : { type: 'connect', sliderId, hue });
}

export interface UpdateFields {
  x: number;
  y: number;
  speed: number;
  angle: number;
  sliderId: SliderId;
  seq?: number;
  t?: number;
}

/** The tutorial's update shape (no `type`, which the protocol makes optional), with `seq` and `t` when given. */
export function updateFrame(u: UpdateFields): string {
  // Absent seq and t leave no trace: JSON.stringify skips undefined properties.
  return JSON.stringify({ x: u.x, y: u.y, speed: u.speed, angle: u.angle, sliderId: u.sliderId, seq: u.seq, t: u.t });
}

/** controller → relay: the user leaves (the page after 10 s idle). */
export function deleteFrame(sliderId: SliderId): string {
  return JSON.stringify({ type: 'delete', sliderId });
}

/** relay → sink: the user is gone, and why. */
export function relayDeleteFrame(sliderId: SliderId, reason: DeleteReason): string {
  return JSON.stringify({ type: 'delete', sliderId, reason });
}

export interface HelloFields {
  token?: string | undefined;
  batchHz?: number | undefined;
  /** 'f32-columns' needs batchHz. */
  encoding?: Encoding | undefined;
}

/** sink → relay, first message. */
export function helloFrame(fields: HelloFields = {}): string {
  const hello: Record<string, unknown> = { type: 'hello', role: 'sink' };
  if (fields.token !== undefined) hello.token = fields.token;
  if (fields.batchHz !== undefined) hello.batchHz = fields.batchHz;
  if (fields.encoding !== undefined) hello.encoding = fields.encoding;
  return JSON.stringify(hello);
}

/** relay → controller: the id is yours, with the token to take it back after a reconnect (and its colour). */
export function welcomeFrame(sliderId: SliderId, resume: string, hue?: number): string {
  return JSON.stringify(hue === undefined ? { type: 'welcome', sliderId, resume } : { type: 'welcome', sliderId, resume, hue });
}

/** relay → client: a frame was refused. A message longer than the protocol allows is cut, ending in `…`. */
export function errorFrame(code: ErrorCode, message: string): string {
  const text = message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message;
  return JSON.stringify({ type: 'error', code, message: text });
}

/**
 * relay → sink: messages already serialised (each a valid connect, update or relay delete), sent as one frame.
 * The caller keeps the frame within MAX_BATCH_MESSAGES and MAX_BATCH_FRAME_BYTES.
 */
export function batchFrame(messageTexts: readonly string[]): string {
  return `{"type":"batch","messages":[${messageTexts.join(',')}]}`;
}

/** relay → sink that asked for f32-columns: the acknowledgement, before the snapshot. */
export function encodingFrame(): string {
  return `{"type":"encoding","encoding":"f32-columns","version":${COLUMNS_VERSION}}`;
}

/**
 * relay → f32-columns sink: a connect or relay delete the relay built (a JSON object, ending in `}`) with the
 * sink's index for the user added last, so whatever the JSON sinks' frame holds (e.g. a hue), this one holds too.
 */
export function indexedFrame(text: string, index: number): string {
  return `${text.slice(0, -1)},"index":${index}}`;
}

/** relay → controller: whether a sink is listening (the page says "waiting for the show" while none is). */
export function statusFrame(listening: boolean): string {
  return listening ? '{"type":"status","listening":true}' : '{"type":"status","listening":false}';
}

/** `{"type":"batch","messages":[` and `]}`: what a batch frame adds around its messages. */
const BATCH_ENVELOPE_BYTES = batchFrame([]).length;

/**
 * relay → sink: one tick's messages as as many batch frames as the limits need, in order: each frame holds at
 * most `maxMessages` messages (MAX_BATCH_MESSAGES, what the generated script accepts) and `maxBytes` bytes
 * (MAX_BATCH_FRAME_BYTES, what a sink must parse). Message texts are ASCII (every string a valid message may hold
 * is an id, a type or a reason, all ASCII), so their length is their size in bytes.
 */
export function batchFrames(messageTexts: readonly string[], maxMessages = MAX_BATCH_MESSAGES, maxBytes = MAX_BATCH_FRAME_BYTES): string[] {
  const frames: string[] = [];
  let start = 0;
  let bytes = BATCH_ENVELOPE_BYTES;
  for (let i = 0; i < messageTexts.length; i++) {
    const size = messageTexts[i]!.length + (i > start ? 1 : 0); // the comma before it
    if (i > start && (i - start >= maxMessages || bytes + size > maxBytes)) {
      frames.push(batchFrame(messageTexts.slice(start, i)));
      start = i;
      bytes = BATCH_ENVELOPE_BYTES + messageTexts[i]!.length;
      continue;
    }
    bytes += size;
  }
  if (start < messageTexts.length) frames.push(batchFrame(messageTexts.slice(start)));
  return frames;
}

/** Prints a finite number as JSON does (String and JSON.stringify agree on every finite number). */
export type NumberText = (n: number) => string;

/**
 * Update frames of one id, built by concatenation around the id's pre-built text: the same text as
 * updateFrame for the same values. `knob` prints x, y, speed and angle, `clock` prints t; both must print
 * finite numbers as JSON does (the simulator passes printers for numbers rounded to hundredths and thousandths).
 */
export class UpdateFrameWriter {
  private readonly idTail: string;

  constructor(
    sliderId: SliderId,
    private readonly knob: NumberText = String,
    private readonly clock: NumberText = String,
  ) {
    this.idTail = `,"sliderId":${JSON.stringify(sliderId)}`;
  }

  /** The tutorial's update, nothing more. */
  plain(x: number, y: number, speed: number, angle: number): string {
    return this.fields(x, y, speed, angle) + this.idTail + '}';
  }

  /**
   * Any update of this id, `seq` and `t` when present: the relay's canonical form of a validated update (every
   * sink gets the same text whatever the phone sent, e.g. duplicate keys, or the id spelt another way).
   */
  update(u: Omit<UpdateFields, 'sliderId'>): string {
    let text = this.fields(u.x, u.y, u.speed, u.angle) + this.idTail;
    if (u.seq !== undefined) text += ',"seq":' + u.seq;
    if (u.t !== undefined) text += ',"t":' + this.clock(u.t);
    return text + '}';
  }

  /** With the sender's sequence number and clock (ms since the epoch). */
  stamped(x: number, y: number, speed: number, angle: number, seq: number, t: number): string {
    return this.fields(x, y, speed, angle) + this.idTail + ',"seq":' + seq + ',"t":' + this.clock(t) + '}';
  }

  private fields(x: number, y: number, speed: number, angle: number): string {
    const k = this.knob;
    return '{"x":' + k(x) + ',"y":' + k(y) + ',"speed":' + k(speed) + ',"angle":' + k(angle);
  }
}
