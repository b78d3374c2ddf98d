/**
 * `validateFiles(paths, options)`: the validator's programmatic entry (the CLI, CI and the relay's tests use it).
 * Files are read one after another, each as a stream of lines; a file that cannot be read is recorded as such
 * and the others are still validated. A relay log named with rotated files beside it (FILE.1, FILE.2, … from
 * `relay --log-max-mb`) is read as its whole rotated set, oldest first, as one stream.
 */
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Collector } from './collector.js';
import { createRules, validateLines } from './file-validator.js';
import type { StatefulRule } from './rules/rule.js';
import { openTextFile, readLines, UnreadableFile } from './line-reader.js';
import { resolveOptions } from './options.js';
import type { FileReport, Report, ValidateOptions } from './types.js';

/** A named source of lines: a file path, or an already-open stream (e.g. stdin, or a test's buffer). */
export type Source = string | { name: string; stream: Readable | AsyncIterable<Buffer | string> };

export async function validateFiles(paths: readonly Source[], options: ValidateOptions = {}): Promise<Report> {
  const opts = resolveOptions(options);
  const collector = new Collector(opts.maxErrors, opts.strict);
  const files: FileReport[] = [];
  for (const { source, shared } of withRotatedSets(paths, opts)) {
    const name = typeof source === 'string' ? source : source.name;
    let stream: Readable | AsyncIterable<Buffer | string>;
    try {
      stream = typeof source === 'string' ? await openTextFile(source) : source.stream;
    } catch (err) {
      if (!(err instanceof UnreadableFile)) throw err;
      files.push({ file: name, lines: 0, envelopeLines: 0, bareLines: 0, errors: 0, warnings: 0, unreadable: err.unreadable });
      continue;
    }
    try {
      files.push(await validateLines(name, readLines(stream, opts.maxLineBytes), collector, opts, shared));
    } catch (err) {
      // A read error mid-file (EIO, file removed under us): what was read stands, the file counts as unreadable.
      const e = err as NodeJS.ErrnoException;
      files.push({ file: name, lines: 0, envelopeLines: 0, bareLines: 0, errors: 0, warnings: 0, unreadable: { code: e.code ?? 'EIO', message: e.message } });
    } finally {
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
    }
  }
  const unreadable = files.filter((f) => f.unreadable).length;
  return {
    files,
    violations: collector.violations,
    summary: {
      files: files.length,
      unreadable,
      lines: files.reduce((n, f) => n + f.lines, 0),
      errors: collector.errors,
      warnings: collector.warnings,
      reported: collector.violations.length,
      omitted: collector.omitted,
    },
    exitCode: unreadable > 0 ? 2 : collector.errors > 0 ? 1 : 0,
  };
}

/** Most rotated files looked for beside a log (relay --log-keep allows up to 1000). */
const MAX_ROTATED = 1000;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Each path, preceded by its rotated files when it has any (FILE.1 exists) and none of them was named on its
 * own; the files of one set share their stateful rules, so a connection that spans a rotation is judged whole.
 */
function withRotatedSets(
  paths: readonly Source[],
  opts: { rate: number; burst: number },
): { source: Source; shared?: { rules: StatefulRule[]; last: boolean } }[] {
  const named = new Set(paths.filter((p): p is string => typeof p === 'string'));
  const out: { source: Source; shared?: { rules: StatefulRule[]; last: boolean } }[] = [];
  for (const source of paths) {
    const rotated: string[] = [];
    if (typeof source === 'string') {
      for (let i = 1; i <= MAX_ROTATED && isFile(`${source}.${i}`) && !named.has(`${source}.${i}`); i++) rotated.push(`${source}.${i}`);
    }
    if (rotated.length === 0) {
      out.push({ source });
      continue;
    }
    const rules = createRules(opts);
    for (const file of rotated.reverse()) out.push({ source: file, shared: { rules, last: false } });
    out.push({ source, shared: { rules, last: true } });
  }
  return out;
}
