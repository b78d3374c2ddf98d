/** A line that breaks its schema in several places is reported once per place, in every output format. */
import { describe, expect, it } from 'vitest';
import { format, validateFiles, type Report } from '../../src/validate/index.js';
import { envelope, source } from './helpers.js';
import { parseXml } from './xml.js';

// Line 1: six problems in one update; line 2: one problem (stays one error); line 3: a logged hello with two.
const LINES = [
  '{"x":171,"y":-200,"speed":"fast","angle":0,"sliderId":"has space","colour":"red"}',
  '{"x":0,"y":0,"speed":0,"angle":361,"sliderId":1}',
  envelope({ ts: 1, dir: 'in', conn: 7, role: 'unknown', msg: { type: 'hello', role: 'sink', token: '', batchHz: 0 } }),
];

const LINE_1 = [
  ['/colour', 'update: /colour is an unknown property "colour"'],
  ['/x', 'update: /x must be <= 170'],
  ['/y', 'update: /y must be >= -170'],
  ['/speed', 'update: /speed must be number'],
  ['/sliderId', 'update: /sliderId must be an integer from 0 to 9007199254740991 (2^53-1) or a string matching [A-Za-z0-9_-]{1,64}'],
];
const LINE_3 = [
  ['/token', 'hello: /token must NOT have fewer than 1 characters'],
  ['/batchHz', 'hello: /batchHz must be >= 1'],
];

function run(lines = LINES): Promise<Report> {
  return validateFiles([source('many.jsonl', lines)]);
}

describe('every schema error of a line', () => {
  it('is one violation each, the protocol’s own (first) error first', async () => {
    const report = await run();
    const byLine = (n: number) => report.violations.filter((v) => v.line === n).map((v) => [v.path, v.message]);
    expect(byLine(1)).toEqual(LINE_1);
    expect(byLine(2)).toEqual([['/angle', 'update: /angle must be <= 360']]);
    expect(byLine(3)).toEqual(LINE_3);
    expect(report.violations.every((v) => v.rule === 'schema' && v.severity === 'error')).toBe(true);
    // Envelope lines keep their connection on every one of their errors.
    expect(report.violations.filter((v) => v.line === 3).map((v) => v.conn)).toEqual([7, 7]);
    expect(report.summary.errors).toBe(LINE_1.length + 1 + LINE_3.length);
  });

  it('a batch reports each bad item once (the anyOf line, not each branch that failed under it)', async () => {
    const batch = {
      type: 'batch',
      messages: [
        { x: 1, y: 1, speed: 1, angle: 1, sliderId: 1 },
        { x: 999, y: 1, speed: 1, angle: 1, sliderId: 1 },
        ...Array.from({ length: 10 }, () => ({ x: 0, y: 0, speed: 0, angle: 0, sliderId: 2 })),
        { type: 'connect', sliderId: 'a b' },
      ],
    };
    const report = await run([envelope({ ts: 1, dir: 'out', conn: 2, role: 'sink', msg: batch })]);
    expect(report.violations.map((v) => v.path)).toEqual(['/messages/1', '/messages/12']);
  });

  it('text: each on its own output line', async () => {
    const lines = format(await run(), 'text').trimEnd().split('\n');
    for (const [, message] of [...LINE_1, ...LINE_3]) expect(lines.filter((l) => l.endsWith(`${message} [schema]`))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('many.jsonl:1: error: '))).toHaveLength(LINE_1.length);
    expect(lines.at(-1)).toBe('tdcrowd validate: 1 file, 3 lines: 8 errors, 0 warnings');
  });

  it('json: each a violation of its own', async () => {
    const doc = JSON.parse(format(await run(), 'json')) as { violations: Array<{ line: number; path: string; message: string }> };
    expect(doc.violations.filter((v) => v.line === 1).map((v) => [v.path, v.message])).toEqual(LINE_1);
    expect(doc.violations.filter((v) => v.line === 3).map((v) => [v.path, v.message])).toEqual(LINE_3);
  });

  it('junit: each a failed testcase, named by line, rule and path so no two share a name', async () => {
    const root = parseXml(format(await run(), 'junit'));
    const cases = root.children[0]!.children.filter((c) => c.children.some((x) => x.name === 'failure'));
    expect(cases.map((c) => c.attrs.name)).toEqual([
      ...LINE_1.map(([path]) => `line 1: schema at ${path}`),
      'line 2: schema at /angle',
      ...LINE_3.map(([path]) => `line 3: schema at ${path}`),
    ]);
    expect(cases.map((c) => c.children[0]!.attrs.message)).toContain('update: /y must be >= -170');
  });

  it('github: each an annotation on the same line', async () => {
    const lines = format(await run(), 'github').trimEnd().split('\n');
    const line1 = lines.filter((l) => l.startsWith('::error file=many.jsonl,line=1,title=tdcrowd schema::'));
    expect(line1.map((l) => l.split('::')[2])).toEqual(LINE_1.map(([, m]) => m));
    expect(lines.filter((l) => l.includes(',line=3,'))).toHaveLength(LINE_3.length);
  });

  it('--max-errors counts each error', async () => {
    const report = await validateFiles([source('many.jsonl', LINES)], { maxErrors: 2 });
    expect(report.summary).toMatchObject({ errors: 8, reported: 2, omitted: 6 });
  });
});
