/**
 * The relay's JSONL log envelope (`tdcrowd relay --log`), read back by `tdcrowd validate` and
 * `tdcrowd simulate --replay`. One line per frame in or out.
 */
export type LogDirection = 'in' | 'out';
export type ConnectionRole = 'controller' | 'sink' | 'unknown';

export interface LogEntry {
  /** Wall-clock time in ms since the epoch. */
  ts: number;
  dir: LogDirection;
  /** The relay's connection number, unique for the relay's life. */
  conn: number;
  role: ConnectionRole;
  /** The frame: its JSON value when it parsed as JSON, else the raw text (`"ping"`, garbage, ...). */
  msg: unknown;
  /** Set on inbound frames the relay dropped: the reason it counted them under. */
  drop?: string;
}

export const logEntrySchema = {
  type: 'object',
  properties: {
    ts: { type: 'number', minimum: 0 },
    dir: { enum: ['in', 'out'] },
    conn: { type: 'integer', minimum: 0 },
    role: { enum: ['controller', 'sink', 'unknown'] },
    msg: {},
    drop: { type: 'string' },
  },
  required: ['ts', 'dir', 'conn', 'role', 'msg'],
  additionalProperties: false,
} as const;

/** Whether a decoded JSONL line is a relay log envelope rather than a bare message. */
export function isLogEntry(value: unknown): value is LogEntry {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dir' in value &&
    'msg' in value &&
    'ts' in value
  );
}
