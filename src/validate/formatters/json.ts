/** One JSON document: per-file figures, the violations, the summary and the exit code. */
import { VERSION } from '../../version.js';
import type { Report } from '../types.js';
import { shown, type FormatOptions } from './describe.js';

export function formatJson(report: Report, options: FormatOptions = {}): string {
  const document = {
    tool: 'tdcrowd validate',
    version: VERSION,
    files: report.files,
    linesRead: report.summary.lines,
    violations: shown(report, options),
    summary: report.summary,
    exitCode: report.exitCode,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
