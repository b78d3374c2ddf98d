/**
 * Recorded f32-columns frames for the Python side (the generated scripts' `onReceiveBinary`, the emulator), made
 * by the TypeScript encoder and the real relay, so both halves of the contract are tested against the same bytes.
 * `UPDATE_FIXTURES=1 npx vitest run test/emulate/columns-fixtures.test.ts` writes them again.
 *
 * Files (test/emulate/fixtures/), JSONL, one frame a line, in the order a sink receives them:
 * - f32-columns-run.jsonl: what an f32-columns sink received from a real relay during a crowd run (joins, leaves,
 *   reused indices, the acknowledgement first): `{"text": "..."}` or `{"bin": "<base64>"}`.
 *   f32-columns-run.final.json: the table a JSON sink on the same run ended with, by user key:
 *   `{"<key>": {"x":…, "y":…, "speed":…, "angle":…, "sliderId":…, "seq":…, "t":…}}` (exact JSON values; a
 *   reader of the binary frames has them rounded to float32, and t as t0 + dt).
 * - f32-columns-hostile.jsonl: joins, leaves and binary frames that break the contract in each way the
 *   protocol says a reader must count and ignore; each binary line carries what the TypeScript reader made of it:
 *   `{"bin": "...", "why": "...", "expect": {"rows": [[index, id, x, y, speed, angle, seq, t], ...], "problems": {...}}}`
 *   (rows kept in frame order, seq and t null where absent; problems counted for this frame only).
 */
import {
  ColumnReader,
  encodeColumns,
  type ColumnProblem,
  type ColumnRow,
  type SliderId,
} from '../../src/protocol/index.js';
import { startRelay } from '../../src/relay/index.js';
import { ColumnSink } from '../helpers/column-sink.js';
import { crowdRun } from '../helpers/columns-run.js';
import { tableOf, type Json } from '../helpers/messages.js';
import { sink } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';

export type FixtureLine = { text: string } | { bin: string; why?: string; expect?: FrameExpectation };

export interface FrameExpectation {
  rows: Array<[number, SliderId, number, number, number, number, number | null, number | null]>;
  problems: Partial<Record<ColumnProblem, number>>;
}

/** A real relay, a JSON sink and an f32-columns sink on one crowd run: the f32 sink's frames and the JSON table. */
export async function recordRun(): Promise<{ lines: FixtureLine[]; final: Record<string, Json> }> {
  const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, maxPerAddress: 1000 });
  try {
    const json = await sink(relay, { batchHz: 20 });
    const columns = await ColumnSink.open(relay, 20);
    const run = await crowdRun(relay, { phones: 16, rounds: 10 });
    await until(() => {
      const rows = tableOf(json.messages);
      return [...run.truth].every(([k, m]) => columns.table.get(k)?.values?.seq === m.seq && rows.get(k)?.seq === m.seq);
    }, 'both sinks to show the final state');
    for (const p of [...run.phones, json, columns.peer]) p.close();
    const lines = columns.received.map((f): FixtureLine => ('text' in f ? { text: f.text } : { bin: f.bin.toString('base64') }));
    return { lines, final: Object.fromEntries(tableOf(json.messages)) };
  } finally {
    await relay.close();
  }
}

const row = (index: number, x = 1, extra: Partial<ColumnRow> = {}): ColumnRow => ({ index, x, y: -x, speed: 10, angle: 90, seq: 5, t: 1.7e12 + 0.5, ...extra });
const edit = (bytes: Uint8Array, f: (v: DataView) => void): Uint8Array => {
  const b = bytes.slice();
  f(new DataView(b.buffer));
  return b;
};
const join = (id: SliderId, index: number): FixtureLine => ({ text: JSON.stringify({ type: 'connect', sliderId: id, index }) });
const leave = (id: SliderId, index: number): FixtureLine => ({ text: JSON.stringify({ type: 'delete', sliderId: id, reason: 'closed', index }) });
const bin = (bytes: Uint8Array, why: string): FixtureLine => ({ bin: Buffer.from(bytes).toString('base64'), why });

/** The hostile sequence, without expectations (`expectations` adds them from the TypeScript reader). */
export function hostileSequence(): FixtureLine[] {
  const good = encodeColumns(0, [row(0, 1), row(1, 2), row(2, 3)]);
  return [
    join('a', 0),
    join(7, 1),
    join('c', 2),
    bin(good, 'valid: three rows'),
    bin(edit(good, (v) => v.setUint8(4, 2)), 'unknown version 2'),
    bin(edit(good, (v) => v.setUint8(4, 0)), 'unknown version 0'),
    bin(edit(good, (v) => v.setUint8(0, 0x58)), 'bad magic'),
    bin(good.subarray(0, 23), 'shorter than the header'),
    bin(new Uint8Array(0), 'empty'),
    bin(good.subarray(0, good.byteLength - 1), 'one byte short'),
    bin(new Uint8Array([...good, 0, 0, 0, 0]), 'four bytes too long'),
    bin(edit(good, (v) => v.setUint32(12, 0xffffffff, true)), 'row count far beyond the length'),
    bin(edit(good, (v) => v.setUint32(12, 2, true)), 'row count one short of the length'),
    bin(edit(good, (v) => v.setUint8(5, 7)), 'unknown flag bit 2'),
    bin(edit(good, (v) => v.setUint16(6, 1, true)), 'reserved not zero'),
    bin(encodeColumns(1, [row(0, 4), row(9, 4), row(70000, 4)]), 'indices 9 and 70000 have no join'),
    bin(encodeColumns(2, [row(1, 5), row(1, 6), row(0, 7)]), 'index 1 twice: the later row goes'),
    bin(encodeColumns(3, [row(0, NaN), row(1, 8, { speed: Infinity }), row(2, 9, { angle: -Infinity }), row(0, 10, { y: NaN })]), 'NaN and infinities: those rows go'),
    bin(encodeColumns(4, []), 'valid: no rows'),
    bin(encodeColumns(5, [row(2, 11, { seq: undefined, t: undefined })]), 'valid: no seq or dt column'),
    bin(encodeColumns(6, [row(0, 12, { t: undefined }), row(1, 13, { seq: undefined })]), 'valid: seq NaN in one row, dt NaN in the other'),
    bin(encodeColumns(7, [row(0, 170), row(1, -170, { speed: 100, angle: 360 })]), 'valid: the bounds, exact in float32'),
    bin(encodeColumns(8, [row(1, 0.1)]), 'valid: 0.1 rounded to float32'),
    leave(7, 1),
    bin(encodeColumns(9, [row(1, 14), row(0, 15)]), 'index 1 after its leave: no join'),
    join('d', 1),
    bin(encodeColumns(10, [row(1, 16)]), 'valid: index 1 reused by d'),
  ];
}

/** Fills each binary line's `expect` with what ColumnReader keeps and counts for it. */
export function expectations(lines: FixtureLine[]): FixtureLine[] {
  let counts: Partial<Record<ColumnProblem, number>> = {};
  const reader = new ColumnReader((p) => (counts[p] = (counts[p] ?? 0) + 1));
  return lines.map((line) => {
    if ('text' in line) {
      const m = JSON.parse(line.text) as { type: string; sliderId: SliderId; index: number };
      if (m.type === 'connect') reader.join(m.index, m.sliderId);
      else reader.leave(m.index, m.sliderId);
      return line;
    }
    counts = {};
    const rows: FrameExpectation['rows'] = [];
    reader.read(Buffer.from(line.bin, 'base64'), (id, f, r) => {
      const seq = f.seq?.[r];
      const dt = f.dt?.[r];
      rows.push([f.index[r]!, id, f.x[r]!, f.y[r]!, f.speed[r]!, f.angle[r]!, seq === undefined || Number.isNaN(seq) ? null : seq, dt === undefined || Number.isNaN(dt) ? null : f.t0 + dt]);
    });
    return { bin: line.bin, ...(line.why === undefined ? {} : { why: line.why }), expect: { rows, problems: counts } };
  });
}
