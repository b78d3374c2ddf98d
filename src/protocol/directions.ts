/**
 * Who sends which message to whom (docs/protocol.md, "Messages"): `parse` allows a sender exactly these, and
 * the AsyncAPI document and the protocol notes list them from here. Kinds are those of `parse` (an update
 * without `type` is still `update`; the relay's delete, which carries a reason, is `relayDelete`).
 */
import type { MessageKind } from './types.js';

export type FrameKind = MessageKind | 'ping' | 'pong';

export const DIRECTIONS = {
  /** A phone (the joystick page, a virtual phone). */
  controllerToRelay: ['connect', 'update', 'delete', 'ping', 'pong'],
  /** TouchDesigner, a dashboard, the simulator's measuring sink: hello first. */
  sinkToRelay: ['hello', 'ping', 'pong'],
  /**
   * Forwarded controller messages, the relay's deletes, batches (to sinks that asked), the f32-columns
   * acknowledgement (binary column batches are not JSON messages: docs/protocol.md), errors, keep-alives.
   */
  relayToSink: ['relayConnect', 'update', 'relayDelete', 'batch', 'encoding', 'error', 'ping', 'pong'],
  relayToController: ['welcome', 'status', 'error', 'ping', 'pong'],
} as const satisfies Record<string, readonly FrameKind[]>;

export type Direction = keyof typeof DIRECTIONS;
