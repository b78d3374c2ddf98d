/**
 * JUnit XML, as CI systems read it: one <testsuite> per file. Each error is a failed <testcase> named by its line
 * and rule; each warning a passing one with the message in <system-out>; every file also gets a "read" testcase
 * (an <error> when the file could not be read), so a clean file still shows up as a passing suite.
 */
import type { FileReport, Report, Violation } from '../types.js';
import { describeUnreadable, describeViolation, shown, type FormatOptions } from './describe.js';

/** Escapes text for XML 1.0 content and attributes; characters XML 1.0 cannot carry at all become `\uXXXX`. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}

const attr = (name: string, value: string | number): string => `${name}="${escapeXml(String(value))}"`;

function testcase(v: Violation): string {
  // A line may break its schema in several places: the path keeps each testcase's name its own.
  const name = attr('name', `line ${v.line}: ${v.rule}${v.path === '/' ? '' : ` at ${v.path}`}`);
  const classname = attr('classname', v.file);
  const text = escapeXml(describeViolation(v));
  if (v.severity === 'error') {
    return `    <testcase ${name} ${classname}>\n      <failure ${attr('type', v.rule)} ${attr('message', describeViolation(v))}>${text}</failure>\n    </testcase>`;
  }
  return `    <testcase ${name} ${classname}>\n      <system-out>warning: ${text}</system-out>\n    </testcase>`;
}

function suite(file: FileReport, violations: Violation[]): string {
  const failures = violations.filter((v) => v.severity === 'error').length;
  const errors = file.unreadable ? 1 : 0;
  const read = file.unreadable
    ? `    <testcase ${attr('name', 'read')} ${attr('classname', file.file)}>\n      <error ${attr('type', file.unreadable.code)} ${attr('message', describeUnreadable(file))}/>\n    </testcase>`
    : `    <testcase ${attr('name', `read ${file.lines} lines`)} ${attr('classname', file.file)}/>`;
  const cases = [read, ...violations.map(testcase)];
  return [
    `  <testsuite ${attr('name', file.file)} ${attr('tests', cases.length)} ${attr('failures', failures)} ${attr('errors', errors)} ${attr('skipped', 0)} ${attr('time', 0)}>`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

export function formatJunit(report: Report, options: FormatOptions = {}): string {
  const byFile = new Map<string, Violation[]>();
  for (const v of shown(report, options)) {
    const list = byFile.get(v.file);
    if (list) list.push(v);
    else byFile.set(v.file, [v]);
  }
  const suites = report.files.map((f) => suite(f, byFile.get(f.file) ?? []));
  const tests = report.files.reduce((n, f) => n + 1 + (byFile.get(f.file)?.length ?? 0), 0);
  const failures = [...byFile.values()].flat().filter((v) => v.severity === 'error').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', 'tdcrowd validate')} ${attr('tests', tests)} ${attr('failures', failures)} ${attr('errors', report.summary.unreadable)}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
