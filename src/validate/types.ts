/**
 * The validator's public shapes: what `validateFiles` returns and what the formatters render.
 */

export type Severity = 'error' | 'warning';

/**
 * Rule names. Where a rule matches one of the relay's drop reasons it uses the same name (snake_case), so a
 * frame the relay dropped as `rate_limited` and the validator's finding on it read alike.
 */
export type Rule =
  // one line on its own
  | 'too_large'
  | 'not_utf8'
  | 'binary'
  | 'not_json'
  | 'not_object'
  | 'schema'
  | 'wrong_direction'
  | 'batch_from_controller'
  | 'envelope'
  | 'line_too_long'
  | 'blank_line'
  // stateful, per file and connection
  | 'id_mismatch'
  | 'rate_limited'
  | 'before_hello'
  | 'not_connected'
  | 'relay_drop'
  // f32-columns sinks: acknowledgement, indices, binary frames (rules/columns.ts)
  | 'columns';

export interface Violation {
  file: string;
  /** 1-based line number in the file. */
  line: number;
  /** 1-based column, when known (JSON syntax errors on a bare line). */
  column?: number;
  severity: Severity;
  rule: Rule;
  message: string;
  /** JSON pointer into the message (schema errors); `/` for the whole message or line. */
  path: string;
  /** The relay's connection number, for envelope lines. */
  conn?: number;
  /** Set when the relay itself dropped this frame: the reason it logged. */
  dropped?: string;
}

export interface Unreadable {
  code: string;
  message: string;
}

export interface FileReport {
  file: string;
  /** Lines read (0 for an unreadable file). */
  lines: number;
  /** Lines that were relay log envelopes / bare messages. */
  envelopeLines: number;
  bareLines: number;
  errors: number;
  warnings: number;
  /** Set when the file could not be read as text: missing, a directory, binary, no permission. */
  unreadable?: Unreadable;
}

export interface Summary {
  files: number;
  unreadable: number;
  lines: number;
  errors: number;
  warnings: number;
  /** Violations kept in `violations` (at most maxErrors). */
  reported: number;
  /** Violations counted but not kept because of maxErrors. */
  omitted: number;
}

export interface Report {
  files: FileReport[];
  /** In file order, then line order within a file. */
  violations: Violation[];
  summary: Summary;
  /** 0 clean, 1 violations (errors; warnings too under strict), 2 a file was unreadable (wins over 1). */
  exitCode: 0 | 1 | 2;
}

export interface ValidateOptions {
  /** Sustained rate one connection may send, messages per second (the relay's default). */
  rate?: number;
  /** Token bucket size: messages one connection may send at once. */
  burst?: number;
  /** Warnings count as errors: reported with severity error and fail the exit code. */
  strict?: boolean;
  /** Keep at most this many violations in the report; the rest are still counted. */
  maxErrors?: number;
  /** Lines longer than this are reported and skipped without being held in memory. */
  maxLineBytes?: number;
}

