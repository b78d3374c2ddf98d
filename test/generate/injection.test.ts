/** No option value can break or inject Python: rejected by validation, or rendered as an inert literal. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GenerateOptionsError, partialSources, pyLiteral, pyString, renderScripts, resolveOptions, TEMPLATE_FILES } from '../../src/generate/index.js';
import { hasPython } from '../helpers/requirements.js';
import { startHarness } from '../emulate/harness.js';

const HOSTILE_STRINGS = [
  "'", '"', "'''", '"""', '\\', '\\\'', "a'\n__import__('os').system('touch /tmp/pwned')\n#", '\r', '\r\n', '\n"""\nimport os\n"""',
  '\u2028\u2029', '\u0000', '\u0085', '{{py table}}', '{{{header}}}', '}}', '# comment', 'x\\N{BULLET}', '\ud800', '😀', 'é', '\x7f',
];

describe('Python literal rendering', () => {
  it.skipIf(!hasPython())('round-trips any string and nested value through Python exactly', () => {
    const samples = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { numRuns: 300, seed: 20261125 }).concat(HOSTILE_STRINGS);
    const values = fc.sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 100, seed: 20261125 });
    const program = [
      'import json, sys',
      `strings = [${samples.map((s) => pyString(s)).join(', ')}]`,
      `values = [${values.map((v) => pyLiteral(v as never)).join(', ')}]`,
      'sys.stdout.write(json.dumps({"strings": strings, "values": values}))',
    ].join('\n');
    const out = execFileSync('python3', ['-c', program], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const back = JSON.parse(out) as { strings: string[]; values: unknown[] };
    // JSON.stringify turns lone surrogates into \\udXXX escapes on both sides, so compare code units
    expect(back.strings).toEqual(samples);
    // Python tuples come back as arrays, dict keys as strings: the same JSON; -0 renders as 0
    const noNegZero = (v: unknown): unknown =>
      Object.is(v, -0) ? 0 : Array.isArray(v) ? v.map(noNegZero) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, noNegZero(x)])) : v;
    expect(back.values).toEqual(noNegZero(values));
  });

  it('keeps literals to printable ASCII on one line', () => {
    for (const s of HOSTILE_STRINGS) expect(pyString(s)).toMatch(/^'[\x20-\x7e]*'$/);
  });

  it('templates and their shared partials reach values only through the py and comment helpers', () => {
    const sources = [
      ...TEMPLATE_FILES.map((t) => readFileSync(new URL(`../../templates/${t}`, import.meta.url), 'utf8')),
      ...partialSources().values(),
    ];
    expect(sources.length).toBeGreaterThan(TEMPLATE_FILES.length);
    const all = sources.flatMap((text) => text.match(/\{\{\{?[^}]*\}?\}\}/g) ?? []);
    expect(all.length).toBeGreaterThan(5 * TEMPLATE_FILES.length);
    {
      const tags = all;
      // blocks: only `#if f32` (a boolean: --encoding f32-columns), which adds code, never a value
      for (const tag of tags) expect(tag).toMatch(/^\{\{\{?(py [\w.]+|pylines \w+|pyassets \w+|comment [\w.]+|header|> \w+|#if f32|else|\/if)\}?\}\}$/);
    }
  });
});

describe('hostile option values', () => {
  it('names (table, columns, DAT names) are rejected unless they are plain identifiers', () => {
    for (const s of HOSTILE_STRINGS) {
      expect(() => resolveOptions({ table: `t${s}` })).toThrow(GenerateOptionsError);
      expect(() => resolveOptions({ columns: `a,b,c,d,e${s}` })).toThrow(GenerateOptionsError);
      expect(() => resolveOptions({ websocketDat: `w${s}` })).toThrow(GenerateOptionsError);
      expect(() => resolveOptions({ callbacksDat: `c${s}` })).toThrow(GenerateOptionsError);
    }
  });

  it.skipIf(!hasPython())('tokens are rendered inert: the scripts compile and send the exact token in hello', async () => {
    const tokens = HOSTILE_STRINGS.filter((s) => s !== '\ud800').map((s) => `ZQXtok${s}end-of-sixteen`);
    for (const sinkToken of tokens) {
      const scripts = renderScripts(resolveOptions({ sinkToken }));
      for (const s of scripts) {
        // the only line holding the token is its assignment: nothing spilled into code or comments
        expect(s.text.split('\n').filter((l) => l.includes("ZQXtok")).length).toBeLessThanOrEqual(1);
      }
    }
    const all = HOSTILE_STRINGS.filter((s) => s !== '\ud800').join('');
    expect(all.length).toBeLessThanOrEqual(256);
    const h = await startHarness({ sinkToken: all });
    try {
      const s = await h.state();
      expect(s.errors).toEqual([]);
      const hello = JSON.parse(s.outbox[0]?.data ?? '{}') as { token?: string };
      expect(hello.token).toBe(all);
    } finally {
      await h.close();
    }
  });
});
