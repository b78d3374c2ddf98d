/**
 * What a stateful rule sees: one frame at a time, in file order, with its connection, and a way to report.
 */
import type { ConnectionRole, ParseResult } from '../../protocol/index.js';
import type { Sender } from '../check-frame.js';
import type { Rule, Severity, Violation } from '../types.js';

export interface Frame {
  line: number;
  /** Absent on lines of plain JSONL, which have no connection. */
  conn?: number;
  ts?: number;
  dir?: 'in' | 'out';
  role?: ConnectionRole;
  sender: Sender;
  result: ParseResult;
  /** The relay's drop reason, when it dropped the frame. */
  dropped?: string;
  /** Drops of the same reason on this connection the relay counted but did not log before this one (sampling). */
  skipped?: number;
}

export interface Finding {
  line: number;
  severity: Severity;
  rule: Rule;
  message: string;
  path?: string;
  column?: number;
  conn?: number;
  dropped?: string;
}

/**
 * Records a finding. Returns the stored violation so a rule can complete its message later (a rate episode's
 * length is known only when it ends), or undefined when --max-errors left it out.
 */
export type Emit = (finding: Finding) => Violation | undefined;

export interface StatefulRule {
  /** Returns true when the frame is covered by a finding already made (e.g. one more frame of a rate episode). */
  onFrame(frame: Frame, emit: Emit): boolean | void;
  /** End of the file: close whatever is still open. */
  onEnd(emit: Emit): void;
}

export function showId(id: number | string): string {
  return typeof id === 'number' ? String(id) : JSON.stringify(id);
}

export function isInbound(frame: Frame): frame is Frame & { conn: number; ts: number } {
  return frame.dir === 'in' && frame.conn !== undefined && frame.ts !== undefined;
}

/** The id a valid frame speaks for, if it is a connect, update or delete. */
export function sliderIdOf(result: ParseResult): number | string | undefined {
  if (!result.ok) return undefined;
  switch (result.kind) {
    case 'connect':
    case 'relayConnect':
    case 'update':
    case 'delete':
    case 'relayDelete':
      return result.message.sliderId as number | string;
    default:
      return undefined;
  }
}
