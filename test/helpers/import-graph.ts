/**
 * The import graph of src/, read with the TypeScript compiler's parser (no type check): for each module, what it
 * imports, resolved to a file under src/ when relative, and whether the import is erased at compile time
 * (`import type`, `export type`, or only type specifiers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { ROOT } from './paths.js';


export interface Import {
  specifier: string;
  /** Repo-relative path of the imported .ts file, for relative specifiers. */
  target?: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (clause === undefined) return false; // a side-effect import
    if (clause.isTypeOnly) return true;
    if (clause.name !== undefined) return false;
    const bindings = clause.namedBindings;
    return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
  }
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const out: Import[] = [];
  for (const node of source.statements) {
    if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || node.moduleSpecifier === undefined) continue;
    const specifier = (node.moduleSpecifier as ts.StringLiteral).text;
    const imp: Import = { specifier, typeOnly: typeOnly(node) };
    if (specifier.startsWith('.')) imp.target = relative(ROOT, resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    out.push(imp);
  }
  return out;
}

/** Every module under `dir` (repo-relative, e.g. `src`) → its imports. */
export function importGraph(dir = 'src'): Map<string, Import[]> {
  const graph = new Map<string, Import[]>();
  for (const file of sourceFiles(join(ROOT, dir))) graph.set(relative(ROOT, file), importsOf(file));
  return graph;
}

/** Modules reachable from `start` through imports kept at run time. */
export function runtimeClosure(graph: Map<string, Import[]>, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const imp of graph.get(queue.pop()!) ?? []) {
      if (imp.typeOnly || imp.target === undefined || seen.has(imp.target)) continue;
      seen.add(imp.target);
      queue.push(imp.target);
    }
  }
  return seen;
}
