/**
 * A relay log of 200 000 lines (about 30 MB) validated from disk as a stream, with three planted faults that
 * must be found at their exact lines, and nothing else.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/validate/index.js';
import { scratch } from './helpers.js';

const LINES = 200_000;
const CONTROLLERS = 200;
const SINK = 0;
const T0 = 1_700_000_000_000;

let tmp: ReturnType<typeof scratch>;
let path: string;

/** Line number (1-based) → the fault written there instead of the normal frame. */
const FAULTS = new Map<number, (conn: number, ts: number) => object>([
  [100_001, (conn, ts) => ({ ts, dir: 'in', conn, role: 'controller', msg: { x: 0, y: 999, speed: 0, angle: 0, sliderId: conn } })],
  [150_001, (conn, ts) => ({ ts, dir: 'in', conn, role: 'controller', msg: { x: 0, y: 0, speed: 0, angle: 0, sliderId: conn + 1_000_000 } })],
  [199_999, (_conn, ts) => ({ ts, dir: 'out', conn: SINK, role: 'sink', msg: { type: 'hello', role: 'sink' } })],
]);

beforeAll(async () => {
  tmp = scratch();
  path = join(tmp.dir, 'big.jsonl');
  const out = createWriteStream(path);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  let n = 0;
  const emit = async (entry: object) => {
    n += 1;
    await write(JSON.stringify(entry));
  };
  await emit({ ts: T0, dir: 'in', conn: SINK, role: 'unknown', msg: { type: 'hello', role: 'sink' } });
  for (let c = 1; c <= CONTROLLERS; c++) await emit({ ts: T0, dir: 'in', conn: c, role: 'unknown', msg: { type: 'connect', sliderId: c } });
  // Each controller at 30 Hz, each update forwarded to the sink: two lines per update.
  for (let i = 0; n < LINES; i++) {
    const conn = 1 + (i % CONTROLLERS);
    const ts = T0 + Math.floor(i / CONTROLLERS) * 33 + 1;
    const update = { x: (i % 340) - 170, y: 0, speed: 50, angle: 180, sliderId: conn, seq: i };
    for (const entry of [
      { ts, dir: 'in', conn, role: 'controller', msg: update },
      { ts, dir: 'out', conn: SINK, role: 'sink', msg: update },
    ]) {
      if (n >= LINES) break;
      const fault = FAULTS.get(n + 1);
      await emit(fault ? fault(conn, ts) : entry);
    }
  }
  out.end();
  await once(out, 'finish');
}, 60_000);
afterAll(() => tmp?.cleanup());

describe('a 200 000-line relay log', () => {
  it('is validated in one streaming pass and exactly the planted faults are reported', async () => {
    const report = await validateFiles([path]);
    expect(report.summary.lines).toBe(LINES);
    expect(report.files[0]).toMatchObject({ lines: LINES, envelopeLines: LINES, bareLines: 0 });
    expect(report.violations.map((v) => [v.line, v.rule])).toEqual([
      [100_001, 'schema'],
      [150_001, 'id_mismatch'],
      [199_999, 'wrong_direction'],
    ]);
    expect(report.exitCode).toBe(1);
  });
});
