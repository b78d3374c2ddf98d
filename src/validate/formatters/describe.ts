/** Wording shared by the formats, so a violation reads the same in a terminal, a CI log or a test report. */
import type { FileReport, Report, Violation } from '../types.js';

export interface FormatOptions {
  /** List errors only (warnings are still counted in the summary); no summary line in text and github. */
  quiet?: boolean;
}

/** The message with the schema path (when the message does not already name it) and the relay's drop label. */
export function describeViolation(v: Violation): string {
  let text = v.message;
  if (v.path !== '/' && !text.includes(v.path)) text += ` (at ${v.path})`;
  if (v.dropped !== undefined) text += ` [dropped by the relay: ${v.dropped}]`;
  return text;
}

export function describeUnreadable(f: FileReport): string {
  return `cannot read: ${f.unreadable?.message ?? 'unknown error'} (${f.unreadable?.code ?? 'EIO'})`;
}

export function shown(report: Report, options: FormatOptions): Violation[] {
  return options.quiet ? report.violations.filter((v) => v.severity === 'error') : report.violations;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(report: Report): string {
  const s = report.summary;
  let line = `tdcrowd validate: ${plural(s.files, 'file')}, ${plural(s.lines, 'line')}: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`;
  if (s.unreadable > 0) line += `; ${plural(s.unreadable, 'file')} unreadable`;
  if (s.omitted > 0) line += `; ${s.omitted} not shown (--max-errors)`;
  return line;
}
