/** Figures for the README's "Reliability" section: one JSON file per suite under test-artifacts/reliability/. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  const dir = join(ROOT, 'test-artifacts', 'reliability');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first figures of this run
  }
  writeFileSync(file, `${JSON.stringify({ ...previous, ...figures, recordedAt: new Date().toISOString() }, null, 2)}\n`);
}
