/**
 * GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::message`, which annotate the file in a
 * pull request. Escaping follows @actions/core (toCommandValue/escapeData/escapeProperty).
 */
import type { Report, Violation } from '../types.js';
import { describeUnreadable, describeViolation, shown, summaryLine, type FormatOptions } from './describe.js';

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(kind: 'error' | 'warning', props: Array<[string, string | number | undefined]>, message: string): string {
  const list = props
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${kind} ${list}::${escapeData(message)}`;
}

function annotate(v: Violation): string {
  return command('error' === v.severity ? 'error' : 'warning', [
    ['file', v.file],
    ['line', v.line],
    ['col', v.column],
    ['title', `tdcrowd ${v.rule}`],
  ], describeViolation(v));
}

export function formatGithub(report: Report, options: FormatOptions = {}): string {
  const out: string[] = [];
  for (const f of report.files) {
    if (f.unreadable) out.push(command('error', [['file', f.file], ['title', 'tdcrowd unreadable']], describeUnreadable(f)));
  }
  for (const v of shown(report, options)) out.push(annotate(v));
  if (!options.quiet) out.push(summaryLine(report));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
