import { describe, expect, it } from 'vitest';
import { format, validateFiles, type Report } from '../../src/validate/index.js';
import { escapeData, escapeProperty } from '../../src/validate/formatters/github.js';
import { escapeXml } from '../../src/validate/formatters/junit.js';
import { fixture, source } from './helpers.js';
import { parseXml, type XmlElement } from './xml.js';

async function sample(): Promise<Report> {
  return validateFiles([
    fixture('clean-plain.jsonl'),
    fixture('schema-errors.jsonl'),
    fixture('not-connected.jsonl'),
    fixture('does-not-exist.jsonl'),
    // Names and messages with every character the formats must escape.
    source('we,ird:name <&"\'>.jsonl', ['%oops <&> "quoted"', '{"x":1,"y":1,"speed":1,"angle":1,"sliderId":"\u0001"}']),
  ]);
}

describe('text', () => {
  it('prints file:line: severity: message [rule], unreadable files, then a summary', async () => {
    const text = format(await sample(), 'text');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(`${fixture('does-not-exist.jsonl')}: error: cannot read: no such file (ENOENT) [unreadable]`);
    expect(lines).toContain(`${fixture('schema-errors.jsonl')}:2: error: update: /x must be <= 170 [schema]`);
    expect(lines).toContain(`${fixture('schema-errors.jsonl')}:4: error: update: /sliderId is required [schema]`);
    expect(lines.filter((l) => / warning: /.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe('tdcrowd validate: 5 files, 26 lines: 11 errors, 1 warning; 1 file unreadable');
  });

  it('quiet lists errors only and no summary', async () => {
    const text = format(await sample(), 'text', { quiet: true });
    expect(text).not.toContain('warning');
    expect(text).not.toContain('tdcrowd validate:');
    expect(text.trimEnd().split('\n')).toHaveLength(12);
  });

  it('a clean run prints only the summary', async () => {
    const text = format(await validateFiles([fixture('clean-relay.jsonl')]), 'text');
    expect(text).toBe('tdcrowd validate: 1 file, 16 lines: 0 errors, 0 warnings\n');
  });
});

describe('json', () => {
  it('is one document with files, lines read, violations and a summary', async () => {
    const report = await sample();
    const doc = JSON.parse(format(report, 'json')) as Record<string, unknown>;
    expect(doc).toMatchObject({ tool: 'tdcrowd validate', linesRead: 26, exitCode: 2 });
    expect(doc.summary).toEqual(report.summary);
    const files = doc.files as Array<Record<string, unknown>>;
    expect(files.map((f) => f.file)).toEqual(report.files.map((f) => f.file));
    expect(files[3]).toMatchObject({ unreadable: { code: 'ENOENT' } });
    const violations = doc.violations as Array<Record<string, unknown>>;
    expect(violations).toHaveLength(12);
    for (const v of violations) {
      expect(Object.keys(v)).toEqual(expect.arrayContaining(['file', 'line', 'severity', 'rule', 'message', 'path']));
      expect(typeof v.line).toBe('number');
      expect(['error', 'warning']).toContain(v.severity);
    }
    expect(violations.find((v) => v.rule === 'not_json')).toMatchObject({ line: 6, column: 24 });
  });
});

describe('junit', () => {
  const suites = (root: XmlElement) => root.children.filter((c) => c.name === 'testsuite');

  it('is well-formed XML with one testsuite per file and a failure per error', async () => {
    const report = await sample();
    const xml = format(report, 'junit');
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ failures: '11', errors: '1' });
    const all = suites(root);
    expect(all.map((s) => s.attrs.name)).toEqual(report.files.map((f) => f.file));
    for (const [i, s] of all.entries()) {
      const cases = s.children.filter((c) => c.name === 'testcase');
      expect(s.attrs.tests).toBe(String(cases.length));
      const failed = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
      expect(s.attrs.failures).toBe(String(failed.length));
      expect(failed.length).toBe(report.files[i]!.errors);
    }
    // Escaped names and messages come back intact.
    const weird = all[4]!;
    expect(weird.attrs.name).toBe('we,ird:name <&"\'>.jsonl');
    const failure = weird.children[1]!.children[0]!;
    expect(failure.name).toBe('failure');
    expect(failure.attrs.type).toBe('not_json');
    expect(failure.text).toContain('%oops');
    // The unreadable file is an <error>, not a failure.
    const missing = all[3]!.children[0]!;
    expect(missing.children[0]).toMatchObject({ name: 'error', attrs: { type: 'ENOENT' } });
    // A clean file is a suite with one passing testcase.
    expect(all[0]!.children).toEqual([{ name: 'testcase', attrs: { name: 'read 11 lines', classname: fixture('clean-plain.jsonl') }, children: [], text: '' }]);
  });

  it('escapes markup and replaces characters XML 1.0 cannot carry', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('x\u0001y\ud800z')).toBe('x\\u0001y\\ud800z');
    expect(escapeXml('tab\tok \u{1F600}')).toBe('tab\tok \u{1F600}');
    expect(() => parseXml(`<a b="${escapeXml('<&>"\u0000')}">${escapeXml('</a>')}</a>`)).not.toThrow();
  });

  it('the checker itself rejects malformed XML', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow();
    expect(() => parseXml('<a>1 < 2</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
  });
});

describe('github', () => {
  // ::error file=F,line=L[,col=C],title=T::message  (properties escaped: no raw , or : inside values)
  const COMMAND = /^::(error|warning) file=[^,:\r\n]+(,line=\d+)?(,col=\d+)?,title=[^,:\r\n]+::[^\r\n]*$/;

  it('emits one workflow command per violation, then the summary', async () => {
    const report = await sample();
    const lines = format(report, 'github').trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 12 + 1);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(COMMAND);
    expect(lines.filter((l) => l.startsWith('::warning '))).toHaveLength(1);
    expect(lines).toContain(`::error file=${escapeProperty(fixture('schema-errors.jsonl'))},line=2,title=tdcrowd schema::update: /x must be <= 170`);
    const weird = lines.find((l) => l.includes('not_json') && l.includes('we%2Cird'));
    expect(weird).toBe(
      `::error file=we%2Cird%3Aname <&"'>.jsonl,line=1,title=tdcrowd not_json::not JSON: Unexpected token '%25', "%25oops <&> "quoted"" is not valid JSON`,
    );
    expect(lines).toContain(`::error file=${escapeProperty(fixture('schema-errors.jsonl'))},line=6,col=24,title=tdcrowd not_json::not JSON: Expected double-quoted property name in JSON at position 23`);
    expect(lines[0]).toBe(`::error file=${escapeProperty(fixture('does-not-exist.jsonl'))},title=tdcrowd unreadable::cannot read: no such file (ENOENT)`);
    expect(lines.at(-1)).toMatch(/^tdcrowd validate: /);
  });

  it('escapes data and properties as @actions/core does', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A');
  });
});
