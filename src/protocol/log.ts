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
  /**
   * The frame: its JSON value when it parsed as JSON, else the raw text (`"ping"`, garbage, ...); for a binary
   * frame a placeholder (`"<binary frame, N bytes>"`), its bytes being in `bin`.
   */
  msg: unknown;
  /** A binary frame the relay sent (a column batch): its bytes in base64 (standard alphabet, padded). */
  bin?: string;
  /** Set on inbound frames the relay dropped: the reason it counted them under. */
  drop?: string;
  /**
   * On a logged drop: how many earlier drops of the same reason on this connection were not logged (drops are
   * logged sampled, see LOG_DROPS_BURST). The relay counted 1 + skipped drops for this line.
   */
  skipped?: number;
}

/**
 * Secrets never reach the log in clear: the value of every `token` (sink hello) and `resume` (connect,
 * welcome) property is replaced by this prefix and 12 base64url characters of a keyed hash of the secret. The
 * key is drawn at relay start, so within one run the same secret always reads the same (a resume can be matched
 * with the welcome that handed it out) but the form cannot be turned back into the secret or compared across
 * runs. The result is still a valid token (TOKEN_PATTERN), so `validate` and `simulate --replay` read the log as
 * before.
 */
export const REDACTED_PREFIX = 'redacted-';
export const REDACTED_PATTERN = '^redacted-[A-Za-z0-9_-]{12}$';

/** Drops logged per connection and reason before sampling starts, and then one a second (each with `skipped`). */
export const LOG_DROPS_BURST = 5;

/** `bin`: RFC 4648 base64, standard alphabet, padded. */
export const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

/** The `msg` a binary frame's log line carries (its bytes are in `bin`). */
export function binaryPlaceholder(bytes: number): string {
  return `<binary frame, ${bytes} bytes>`;
}

export const logEntrySchema = {
  type: 'object',
  properties: {
    ts: { type: 'number', minimum: 0 },
    dir: { enum: ['in', 'out'] },
    conn: { type: 'integer', minimum: 0 },
    role: { enum: ['controller', 'sink', 'unknown'] },
    msg: {},
    bin: { type: 'string', pattern: BASE64_PATTERN },
    drop: { type: 'string' },
    skipped: { type: 'integer', minimum: 0 },
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
