/**
 * docs/protocol.md explains the protocol for people; its tables are src/protocol's (rendered by doc-tables.ts)
 * and code comments cite its sections, which must exist. `UPDATE_DOCS=1 npx vitest run test/protocol/docs.test.ts`
 * rewrites the tables after a change to the protocol.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_TABLES } from './doc-tables.js';
import { ROOT } from '../helpers/paths.js';

const DOC = join(ROOT, 'docs', 'protocol.md');

const block = (name: string): RegExp => new RegExp(`(<!-- BEGIN generated:${name} [^>]*-->\\n)([\\s\\S]*?)\\n?(<!-- END generated:${name} -->)`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mjs|hbs|py)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('docs/protocol.md', () => {
  if (process.env.UPDATE_DOCS === '1') {
    let text = readFileSync(DOC, 'utf8');
    for (const [name, render] of Object.entries(DOC_TABLES)) text = text.replace(block(name), (_m, a: string, _b, c: string) => `${a}${render()}\n${c}`);
    writeFileSync(DOC, text);
  }
  const text = readFileSync(DOC, 'utf8');

  it.each(Object.keys(DOC_TABLES))('its %s table is the one src/protocol defines', (name) => {
    const m = block(name).exec(text);
    expect(m, `docs/protocol.md has no generated:${name} block`).not.toBeNull();
    expect(m![2]).toBe(DOC_TABLES[name]!());
  });

  it('has every section that code comments cite', () => {
    const headings = new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim()));
    const cited = new Set<string>();
    for (const file of ['src', 'test', 'bench'].flatMap((d) => sourceFiles(join(ROOT, d)))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/docs\/protocol\.md,? "([^"]+)"/g)) cited.add(m[1]!);
    }
    expect(cited.size).toBeGreaterThan(3);
    expect([...cited].filter((s) => !headings.has(s))).toEqual([]);
  });
});
