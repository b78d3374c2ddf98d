/**
 * The f32-columns fixtures the Python side reads (see columns-fixtures.ts): written again with UPDATE_FIXTURES=1;
 * otherwise checked against the TypeScript reader, so the recorded bytes and their expectations stay true.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ColumnReader, userKey, type SliderId } from '../../src/protocol/index.js';
import { expectations, hostileSequence, recordRun, type FixtureLine } from './columns-fixtures.js';
import type { Json } from '../helpers/messages.js';

const DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));
const RUN = `${DIR}f32-columns-run.jsonl`;
const FINAL = `${DIR}f32-columns-run.final.json`;
const HOSTILE = `${DIR}f32-columns-hostile.jsonl`;
const update = process.env.UPDATE_FIXTURES === '1';
const readLines = (file: string): FixtureLine[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FixtureLine);
const writeLines = (file: string, lines: FixtureLine[]): void => writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

describe('f32-columns fixtures for the Python side', () => {
  beforeAll(async () => {
    if (!update) return;
    const { lines, final } = await recordRun();
    writeLines(RUN, lines);
    writeFileSync(FINAL, JSON.stringify(final, null, 1) + '\n');
    writeLines(HOSTILE, expectations(hostileSequence()));
  });

  it('the recorded run decodes cleanly to the JSON sink\'s final table, float32-rounded', () => {
    expect(existsSync(RUN)).toBe(true);
    const lines = readLines(RUN);
    const final = JSON.parse(readFileSync(FINAL, 'utf8')) as Record<string, Json>;
    const reader = new ColumnReader();
    const table = new Map<string, { id: SliderId; v?: number[] }>();
    for (const line of lines) {
      if ('text' in line) {
        const m = JSON.parse(line.text) as Json;
        if (m.type === 'connect') {
          expect(reader.join(m.index, m.sliderId as SliderId)).toBe(true);
          table.set(userKey(m.sliderId as SliderId), { id: m.sliderId as SliderId });
        } else if (m.type === 'delete') {
          expect(reader.leave(m.index, m.sliderId as SliderId)).toBe(true);
          table.delete(userKey(m.sliderId as SliderId));
        } else expect(m).toEqual({ type: 'encoding', encoding: 'f32-columns', version: 1 });
      } else {
        reader.read(Buffer.from(line.bin, 'base64'), (id, f, r) => {
          table.get(userKey(id))!.v = [f.x[r]!, f.y[r]!, f.speed[r]!, f.angle[r]!, f.seq![r]!, f.t0 + f.dt![r]!];
        });
      }
    }
    expect(Object.values(reader.problems).every((n) => n === 0)).toBe(true);
    expect(reader.frames).toBeGreaterThan(5);
    expect([...table.keys()].sort()).toEqual(Object.keys(final).sort());
    for (const [key, row] of table) {
      const m = final[key]!;
      expect(row.id).toStrictEqual(m.sliderId);
      expect(row.v!.slice(0, 5)).toEqual([m.x, m.y, m.speed, m.angle].map((n) => Math.fround(n as number)).concat([m.seq as number]));
      expect(Math.abs(row.v![5]! - (m.t as number))).toBeLessThan(0.001);
    }
  });

  it('the hostile sequence still reads as its recorded expectations say', () => {
    const recorded = readLines(HOSTILE);
    expect(expectations(recorded.map((l) => ('text' in l ? l : { bin: l.bin, ...(l.why === undefined ? {} : { why: l.why }) })))).toEqual(recorded);
    // And the recording still is the sequence the generator makes (the encoder has not changed under it).
    expect(expectations(hostileSequence())).toEqual(recorded);
    const problems = recorded.flatMap((l) => ('expect' in l && l.expect ? Object.keys(l.expect.problems) : []));
    for (const p of ['short', 'length', 'magic', 'version', 'flags', 'unknown_index', 'duplicate_index', 'not_finite']) expect(problems).toContain(p);
  });

  it('fixtures stay small enough to keep in the repository', () => {
    for (const f of [RUN, FINAL, HOSTILE]) expect(readFileSync(f).byteLength).toBeLessThan(200_000);
  });
});
