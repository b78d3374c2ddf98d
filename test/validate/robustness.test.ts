/**
 * Whatever the lines hold, the validator does not throw, judges every line, and every format stays well formed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { format, validateFiles } from '../../src/validate/index.js';
import { parseXml } from './xml.js';

const GITHUB_COMMAND = /^::(error|warning) file=[^,:\r\n]+(,line=\d+)?(,col=\d+)?,title=[^,:\r\n]+::[^\r\n]*$/;

const anyJson = fc.jsonValue({ maxDepth: 3 });
const envelopeLike = fc.record(
  {
    ts: fc.oneof(fc.nat(), fc.double(), fc.string()),
    dir: fc.oneof(fc.constantFrom('in', 'out'), fc.string()),
    conn: fc.oneof(fc.nat(10), fc.integer()),
    role: fc.oneof(fc.constantFrom('controller', 'sink', 'unknown'), fc.string()),
    msg: fc.oneof(anyJson, fc.constantFrom('ping', 'pong'), fc.record({ type: fc.constantFrom('connect', 'batch', 'hello', 'delete'), sliderId: fc.nat(3) })),
    drop: fc.string(),
  },
  { requiredKeys: [] },
);
const line = fc.oneof(
  fc.string({ unit: 'binary' }).map((s) => s.replace(/[\r\n]/g, ' ')),
  anyJson.map((v) => JSON.stringify(v)),
  envelopeLike.map((v) => JSON.stringify(v)),
  fc.constantFrom('ping', 'pong', '', '{"x":1,"y":1,"speed":1,"angle":1,"sliderId":1}'),
);

describe('hostile input', () => {
  it('any lines: no throw, findings within the file, all four formats well formed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.string({ unit: 'binary', minLength: 1 }), async (lines, name) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
        const report = await validateFiles([{ name, stream: (async function* () { yield bytes; })() }]);
        expect(report.summary.lines).toBe(lines.length);
        for (const v of report.violations) {
          expect(v.line).toBeGreaterThanOrEqual(1);
          expect(v.line).toBeLessThanOrEqual(lines.length);
          expect(v.path.startsWith('/')).toBe(true);
        }
        expect(report.exitCode).toBe(report.summary.errors > 0 ? 1 : 0);
        expect(JSON.parse(format(report, 'json')).violations).toHaveLength(report.violations.length);
        parseXml(format(report, 'junit'));
        const github = format(report, 'github').trimEnd().split('\n');
        for (const l of github.slice(0, -1)) expect(l).toMatch(GITHUB_COMMAND);
        expect(github).toHaveLength(report.violations.length + 1);
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });
});
