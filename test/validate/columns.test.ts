/**
 * `validate` reads f32-columns in relay logs: a real relay's log with an f32 sink validates clean; binary frames
 * and index frames that break the contract are reported on their lines as `columns` violations, never raised.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binaryPlaceholder, encodeColumns, encodingFrame, type ColumnRow } from '../../src/protocol/index.js';
import { startRelay } from '../../src/relay/index.js';
import { validateFiles } from '../../src/validate/index.js';
import { ColumnSink } from '../helpers/column-sink.js';
import { crowdRun } from '../helpers/columns-run.js';
import { sink } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { scratch, source } from './helpers.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

const line = (conn: number, dir: 'in' | 'out', msg: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ ts: 1, dir, conn, role: 'sink', msg, ...extra });
const binLine = (conn: number, bytes: Uint8Array, msg: unknown = binaryPlaceholder(bytes.byteLength), dir: 'in' | 'out' = 'out'): string =>
  line(conn, dir, msg, { bin: Buffer.from(bytes).toString('base64') });
const row = (index: number, x = 1, extra: Partial<ColumnRow> = {}): ColumnRow => ({ index, x, y: 0, speed: 1, angle: 2, seq: 3, t: 1000, ...extra });

describe('validate and f32-columns', () => {
  it("a real relay's log with JSON and f32-columns sinks validates clean", async () => {
    const log = join(tmp.dir, 'relay.jsonl');
    const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, log, maxPerAddress: 1000 });
    let columns: ColumnSink | undefined;
    try {
      const json = await sink(relay, { batchHz: 20 });
      columns = await ColumnSink.open(relay, 20);
      const run = await crowdRun(relay, { phones: 12, rounds: 8 });
      await until(() => [...run.truth].every(([k, m]) => columns!.table.get(k)?.values?.seq === m.seq), 'the final state');
      for (const p of [...run.phones, json, columns.peer]) p.close();
    } finally {
      await relay.close();
    }
    expect(columns.binaries).toBeGreaterThan(5);
    const report = await validateFiles([log]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes('"bin":"')).length).toBe(columns.binaries); // what the validator decoded
    expect(report.files[0]!.envelopeLines).toBe(lines.length);
    expect(report.violations.filter((v) => v.severity === 'error')).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('reports each broken frame on its line, and reads on', async () => {
    const good = (batch: number, rows: ColumnRow[]): Uint8Array => encodeColumns(batch, rows);
    const bad = (bytes: Uint8Array, f: (v: DataView) => void): Uint8Array => {
      const b = bytes.slice();
      f(new DataView(b.buffer));
      return b;
    };
    const lines = [
      /* 1 */ line(1, 'in', { type: 'hello', role: 'sink', batchHz: 20, encoding: 'f32-columns' }),
      /* 2 */ line(1, 'out', JSON.parse(encodingFrame())),
      /* 3 */ line(1, 'out', { type: 'connect', sliderId: 'a', index: 0 }),
      /* 4 */ line(1, 'out', { type: 'connect', sliderId: 'b', index: 1 }),
      /* 5 */ binLine(1, good(0, [row(0), row(1)])), // fine
      /* 6 */ binLine(1, bad(good(1, [row(0)]), (v) => v.setUint8(4, 9))), // version
      /* 7 */ binLine(1, good(1, [row(0)]).subarray(0, 30)), // truncated
      /* 8 */ binLine(1, good(1, [row(5)])), // no join for 5
      /* 9 */ binLine(1, good(2, [row(0), row(0, 2)])), // repeated index
      /* 10 */ binLine(1, good(3, [row(0, NaN)])), // NaN
      /* 11 */ binLine(1, good(4, [row(1, 200)])), // x out of range
      /* 12 */ binLine(1, good(9, [row(1)])), // batch number skips
      /* 13 */ binLine(1, good(10, [row(1)]), '<binary frame, 1 bytes>'), // placeholder lies
      /* 14 */ line(1, 'out', { x: 1, y: 0, speed: 1, angle: 2, sliderId: 'a' }), // update as text to an f32 sink
      /* 15 */ line(1, 'out', { type: 'connect', sliderId: 'c' }), // join without index
      /* 16 */ line(1, 'out', { type: 'delete', sliderId: 'b', reason: 'closed', index: 0 }), // leave for the wrong user
      /* 17 */ line(2, 'in', { type: 'hello', role: 'sink' }),
      /* 18 */ line(2, 'out', { type: 'connect', sliderId: 'a', index: 0 }), // index to a JSON sink
      /* 19 */ binLine(2, good(0, [row(0)])), // binary without acknowledgement
      /* 20 */ binLine(1, good(11, [row(0)]), undefined, 'in'), // inbound binary line
      /* 21 */ line(1, 'out', { type: 'delete', sliderId: 'a', reason: 'closed', index: 0 }), // fine
      /* 22 */ binLine(1, good(11, [row(1)])), // fine
    ];
    const report = await validateFiles([source('hostile.jsonl', lines)]);
    const byLine = new Map<number, string[]>();
    for (const v of report.violations) byLine.set(v.line, [...(byLine.get(v.line) ?? []), `${v.rule}: ${v.message}`]);
    const on = (n: number): string => (byLine.get(n) ?? []).join(' | ');
    for (const n of [1, 2, 3, 4, 5, 17, 21, 22]) expect(on(n)).toBe('');
    expect(on(6)).toMatch(/^columns: column batch: version 9.*\(version\)$/);
    expect(on(7)).toMatch(/\(length\)/);
    expect(on(8)).toMatch(/index 5 has no join \(unknown_index\)/);
    expect(on(9)).toMatch(/appears twice \(duplicate_index\)/);
    expect(on(10)).toMatch(/NaN or infinite value \(not_finite\)/);
    expect(on(11)).toMatch(/x 200 is outside -170…170/);
    expect(on(12)).toMatch(/batch number 9, expected 5/);
    expect(on(13)).toMatch(/msg should be "<binary frame, 56 bytes>"/);
    expect(on(14)).toMatch(/update went as text to conn 1/);
    expect(on(15)).toMatch(/join for "c" without the index/);
    expect(on(16)).toMatch(/leave for "b" at index 0, which holds "a" \(leave_unknown\)/);
    expect(on(18)).toMatch(/did not ask for f32-columns/);
    expect(on(19)).toMatch(/without\) the f32-columns acknowledgement/);
    expect(on(20)).toMatch(/logged inbound/);
    expect(report.violations.every((v) => v.rule === 'columns')).toBe(true);
    expect(report.exitCode).toBe(1);
  });
});
