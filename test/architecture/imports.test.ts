/**
 * The shape of src/: data flows one way (protocol rules → features → CLI), nothing imports upwards, no runtime
 * import cycle, and the joystick page loads only browser-safe code (the client and the protocol modules the
 * relay serves it). Read from the sources with the TypeScript parser.
 */
import { describe, expect, it } from 'vitest';
import { BROWSER_PROTOCOL_MODULES } from '../../src/web/assets.js';
import { importGraph, runtimeClosure, type Import } from '../helpers/import-graph.js';

const graph = importGraph('src');

/** The top folder under src/ (or the file itself for src/version.ts). */
function area(path: string): string {
  return path.split('/')[1]!.replace(/\.ts$/, '');
}

/** Areas each area may import from (besides itself). Everything may use common and version. */
const ALLOWED: Record<string, readonly string[]> = {
  common: [],
  version: [],
  protocol: ['common'],
  web: ['protocol', 'common'],
  relay: ['protocol', 'common', 'version', 'web'],
  simulate: ['protocol', 'common', 'version'],
  validate: ['protocol', 'common', 'version'],
  // web: --target webserver embeds the joystick page and sends it with the relay's headers
  generate: ['protocol', 'common', 'version', 'web'],
  emulate: ['protocol', 'common', 'version', 'generate'],
  cli: ['protocol', 'common', 'version', 'relay', 'simulate', 'validate', 'generate', 'emulate', 'web'],
};

function edges(filter: (from: string, imp: Import) => boolean): string[] {
  const out: string[] = [];
  for (const [from, imports] of graph) for (const imp of imports) if (filter(from, imp)) out.push(`${from} → ${imp.target ?? imp.specifier}`);
  return out;
}

function cycles(runtimeOnly: boolean): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const imp of graph.get(node) ?? []) {
      if (imp.target === undefined || (runtimeOnly && imp.typeOnly)) continue;
      const s = state.get(imp.target);
      if (s === 'open') found.push([...stack.slice(stack.indexOf(imp.target)), imp.target].join(' → '));
      else if (s === undefined) visit(imp.target);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('src/ layering', () => {
  it('every relative import resolves to a module under src/', () => {
    expect(edges((_, imp) => imp.target !== undefined && !graph.has(imp.target))).toEqual([]);
  });

  it('no area imports one above it (protocol at the bottom, the CLI at the top)', () => {
    const known = new Set(Object.keys(ALLOWED));
    expect([...graph.keys()].map(area).filter((a) => !known.has(a))).toEqual([]);
    expect(
      edges((from, imp) => {
        if (imp.target === undefined) return false;
        const a = area(from);
        const b = area(imp.target);
        return a !== b && !ALLOWED[a]!.includes(b);
      }),
    ).toEqual([]);
  });

  it('the protocol depends on nothing but its schema tools', () => {
    const allowed = /^(node:|ajv$|json-schema-to-ts$)/;
    expect(edges((from, imp) => area(from) === 'protocol' && imp.target === undefined && !allowed.test(imp.specifier))).toEqual([]);
  });

  it('no import cycle at run time', () => {
    expect(cycles(true)).toEqual([]);
  });

  it('no import cycle at all, type-only imports included', () => {
    expect(cycles(false)).toEqual([]);
  });
});

describe('the joystick page is browser-safe', () => {
  const served = new Set(BROWSER_PROTOCOL_MODULES.map((m) => `src/protocol/${m}.ts`));
  const browserSafe = (path: string): boolean => path.startsWith('src/web/client/') || served.has(path);

  it('everything the page loads is the client or a protocol module the relay serves it', () => {
    const loaded = runtimeClosure(graph, 'src/web/client/main.ts');
    expect([...loaded].filter((m) => !browserSafe(m))).toEqual([]);
    // It does load the shared rules rather than copies of them.
    expect(loaded).toContain('src/protocol/constants.ts');
    expect(loaded).toContain('src/protocol/serialize.ts');
  });

  it('the served protocol modules import, at run time, only each other: no Node module, no package', () => {
    for (const path of served) {
      expect(graph.has(path), path).toBe(true);
      const bad = (graph.get(path) ?? []).filter((imp) => !imp.typeOnly && (imp.target === undefined || !served.has(imp.target)));
      expect(bad, path).toEqual([]);
    }
  });
});
