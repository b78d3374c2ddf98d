/** `file:line: severity: message [rule]`, one per line, then a summary line. */
import type { Report } from '../types.js';
import { describeUnreadable, describeViolation, shown, summaryLine, type FormatOptions } from './describe.js';

export function formatText(report: Report, options: FormatOptions = {}): string {
  const out: string[] = [];
  for (const f of report.files) {
    if (f.unreadable) out.push(`${f.file}: error: ${describeUnreadable(f)} [unreadable]`);
  }
  for (const v of shown(report, options)) {
    out.push(`${v.file}:${v.line}: ${v.severity}: ${describeViolation(v)} [${v.rule}]`);
  }
  if (!options.quiet) out.push(summaryLine(report));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
