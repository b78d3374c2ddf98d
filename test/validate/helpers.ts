import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const fixture = (name: string): string => join(FIXTURES, name);

/** A scratch directory removed by the returned cleanup. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-validate-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type Envelope = { ts: number; dir: 'in' | 'out'; conn: number; role: 'controller' | 'sink' | 'unknown'; msg: unknown; drop?: string; skipped?: number };
export const envelope = (e: Envelope): string => JSON.stringify(e);

/** Runs a list of lines through validateFiles as an in-memory source. */
export function source(name: string, lines: string[]): { name: string; stream: AsyncIterable<Buffer> } {
  return {
    name,
    stream: (async function* () {
      yield Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
    })(),
  };
}
