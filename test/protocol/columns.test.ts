import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COLUMNS_FLAG_DT,
  COLUMNS_FLAG_SEQ,
  COLUMNS_HEADER_BYTES,
  COLUMNS_MAX_INDEX,
  ColumnEncoder,
  ColumnReader,
  columnsFrameBytes,
  decodeColumns,
  encodeColumns,
  type ColumnFrame,
  type ColumnRow,
  type SliderId,
} from '../../src/protocol/index.js';

const f32 = (v: number): number => Math.fround(v);

/** Rows with distinct indices and values in the protocol's ranges; seq and t present or not, per row. */
const rowsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: COLUMNS_MAX_INDEX - 1 }), { maxLength: 200 })
  .chain((indices) =>
    fc.tuple(
      ...indices.map((index) =>
        fc.record({
          index: fc.constant(index),
          x: fc.double({ min: -170, max: 170, noNaN: true }),
          y: fc.double({ min: -170, max: 170, noNaN: true }),
          speed: fc.double({ min: 0, max: 100, noNaN: true }),
          angle: fc.double({ min: 0, max: 360, noNaN: true }),
          seq: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
          t: fc.option(fc.double({ min: 1.7e12, max: 1.7e12 + 5000, noNaN: true }), { nil: undefined }),
        }),
      ),
    ),
  );

function decoded(bytes: Uint8Array): ColumnFrame {
  const r = decodeColumns(bytes);
  if (!r.ok) throw new Error(`refused: ${r.problem} ${r.message}`);
  return r.frame;
}

describe('column batch codec', () => {
  it('writes the contract layout byte for byte', () => {
    const bytes = encodeColumns(7, [
      { index: 3, x: 1.5, y: -2, speed: 10, angle: 90, seq: 42, t: 1000.5 },
      { index: 0, x: 0, y: 0, speed: 0, angle: 0, t: 1000 },
    ]);
    expect(bytes.byteLength).toBe(24 + 20 * 2 + 8 * 2 + 4 * 2);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('TDCB');
    expect(v.getUint8(4)).toBe(1);
    expect(v.getUint8(5)).toBe(COLUMNS_FLAG_SEQ | COLUMNS_FLAG_DT);
    expect(v.getUint16(6, true)).toBe(0);
    expect(v.getUint32(8, true)).toBe(7);
    expect(v.getUint32(12, true)).toBe(2);
    expect(v.getFloat64(16, true)).toBe(1000); // the smallest t
    expect([v.getUint32(24, true), v.getUint32(28, true)]).toEqual([3, 0]);
    expect([v.getFloat32(32, true), v.getFloat32(36, true)]).toEqual([1.5, 0]); // x
    expect([v.getFloat32(40, true), v.getFloat32(44, true)]).toEqual([-2, 0]); // y
    expect([v.getFloat32(48, true), v.getFloat32(52, true)]).toEqual([10, 0]); // speed
    expect([v.getFloat32(56, true), v.getFloat32(60, true)]).toEqual([90, 0]); // angle
    expect(v.getFloat64(64, true)).toBe(42);
    expect(v.getFloat64(72, true)).toBeNaN(); // no seq on that update
    expect([v.getFloat32(80, true), v.getFloat32(84, true)]).toEqual([0.5, 0]); // dt
  });

  it('leaves out the seq and dt columns when no row has them', () => {
    const bytes = encodeColumns(0, [{ index: 1, x: 1, y: 2, speed: 3, angle: 4 }]);
    expect(bytes.byteLength).toBe(COLUMNS_HEADER_BYTES + 20);
    const f = decoded(bytes);
    expect(f.flags).toBe(0);
    expect(f.t0).toBe(0);
    expect(f.seq).toBeUndefined();
    expect(f.dt).toBeUndefined();
  });

  it('an empty frame is 24 bytes and reads as zero rows', () => {
    const f = decoded(encodeColumns(9, []));
    expect(f.count).toBe(0);
    expect(f.batch).toBe(9);
  });

  it('round-trips any rows: values rounded to float32, seq exact, t within float32 of t − t0', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 0, max: 0xffffffff }), (rows: ColumnRow[], batch) => {
        const f = decoded(encodeColumns(batch, rows));
        expect(f.batch).toBe(batch);
        expect(f.count).toBe(rows.length);
        const anyT = rows.some((r) => r.t !== undefined);
        expect(f.dt !== undefined).toBe(anyT);
        expect(f.seq !== undefined).toBe(rows.some((r) => r.seq !== undefined));
        rows.forEach((r, i) => {
          expect(f.index[i]).toBe(r.index);
          expect(f.x[i]).toBe(f32(r.x));
          expect(f.y[i]).toBe(f32(r.y));
          expect(f.speed[i]).toBe(f32(r.speed));
          expect(f.angle[i]).toBe(f32(r.angle));
          if (f.seq !== undefined) {
            if (r.seq === undefined) expect(f.seq[i]).toBeNaN();
            else expect(f.seq[i]).toBe(r.seq);
          }
          if (f.dt !== undefined) {
            if (r.t === undefined) expect(f.dt[i]).toBeNaN();
            else {
              expect(f.dt[i]).toBe(f32(r.t - f.t0));
              expect(f.dt[i]).toBeGreaterThanOrEqual(0);
              expect(Math.abs(f.t0 + f.dt[i]! - r.t)).toBeLessThan(0.001); // 5 s of dt in float32: well under a µs
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('one encoder reused across frames starts each frame afresh (and grows past its first capacity)', () => {
    const enc = new ColumnEncoder(2);
    for (let i = 0; i < 5; i++) enc.add(i, i, -i, i * 10, i * 20, i, 2000 + i);
    const first = decoded(enc.finish(0));
    expect(first.count).toBe(5);
    expect(Array.from(first.index)).toEqual([0, 1, 2, 3, 4]);
    enc.add(9, 1, 1, 1, 1);
    const second = decoded(enc.finish(1));
    expect(second.count).toBe(1);
    expect(second.flags).toBe(0); // no seq or t this time
    expect(Array.from(second.index)).toEqual([9]);
  });

  it('reads a frame at any byte offset (a Node Buffer slice of a larger chunk)', () => {
    const bytes = encodeColumns(1, [{ index: 5, x: 1, y: 2, speed: 3, angle: 4, seq: 6, t: 7 }]);
    const chunk = new Uint8Array(bytes.byteLength + 3);
    chunk.set(bytes, 3);
    const f = decoded(chunk.subarray(3));
    expect([f.index[0], f.x[0], f.seq![0], f.t0]).toEqual([5, 1, 6, 7]);
  });
});

describe('hostile column frames are counted and skipped, never raised', () => {
  const good = encodeColumns(0, [
    { index: 0, x: 1, y: 2, speed: 3, angle: 4, seq: 1, t: 10 },
    { index: 1, x: 5, y: 6, speed: 7, angle: 8, seq: 2, t: 11 },
  ]);
  const edit = (f: (v: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    f(new DataView(b.buffer), b);
    return b;
  };

  it.each([
    ['short', good.subarray(0, 10)],
    ['short', new Uint8Array(0)],
    ['length', good.subarray(0, good.byteLength - 1)],
    ['length', new Uint8Array([...good, 0])],
    ['magic', edit((_, b) => (b[0] = 0x58))],
    ['version', edit((v) => v.setUint8(4, 2))],
    ['version', edit((v) => v.setUint8(4, 0))],
    ['flags', edit((v) => v.setUint8(5, 4))],
    ['flags', edit((v) => v.setUint16(6, 1, true))],
    ['length', edit((v) => v.setUint32(12, 0xffffffff, true))],
    ['length', edit((v) => v.setUint8(5, 0))], // the columns the flags promised are gone
  ])('%s', (problem, bytes) => {
    const r = decodeColumns(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toBe(problem);
    const reader = new ColumnReader();
    reader.join(0, 'a');
    const rows: SliderId[] = [];
    expect(reader.read(bytes, (id) => rows.push(id))).toBeUndefined();
    expect(rows).toEqual([]);
    expect(reader.problems[problem as keyof typeof reader.problems]).toBe(1);
  });

  it('rows: an index with no join, a repeated index, a NaN or an infinity lose that row only', () => {
    const bytes = encodeColumns(3, [
      { index: 0, x: 1, y: 1, speed: 1, angle: 1 },
      { index: 70000, x: 1, y: 1, speed: 1, angle: 1 }, // out of range: never joined
      { index: 2, x: 1, y: 1, speed: 1, angle: 1 }, // in range, no join
      { index: 0, x: 2, y: 2, speed: 2, angle: 2 }, // repeated: the later row goes
      { index: 1, x: NaN, y: 1, speed: 1, angle: 1 },
      { index: 3, x: 1, y: 1, speed: Infinity, angle: 1 },
      { index: 4, x: 1, y: 1, speed: 1, angle: -Infinity },
      { index: 5, x: 3, y: 3, speed: 3, angle: 3 },
    ]);
    const seen: string[] = [];
    const reader = new ColumnReader((p) => seen.push(p));
    for (const [i, id] of [[0, 'a'], [1, 'b'], [3, 'c'], [4, 'd'], [5, 'e']] as const) reader.join(i, id);
    const kept: Array<[SliderId, number]> = [];
    const frame = reader.read(bytes, (id, f, row) => kept.push([id, f.x[row]!]));
    expect(frame?.count).toBe(8);
    expect(kept).toEqual([
      ['a', 1],
      ['e', 3],
    ]);
    expect(reader.problems.unknown_index).toBe(2);
    expect(reader.problems.duplicate_index).toBe(1);
    expect(reader.problems.not_finite).toBe(3);
    expect(seen).toHaveLength(6);
    // The next frame may mention index 0 again: repeats are per frame.
    reader.read(encodeColumns(4, [{ index: 0, x: 9, y: 9, speed: 9, angle: 9 }]), (id, f, row) => kept.push([id, f.x[row]!]));
    expect(kept.at(-1)).toEqual(['a', 9]);
    expect(reader.problems.duplicate_index).toBe(1);
  });

  it('joins and leaves that do not fit the table are counted', () => {
    const reader = new ColumnReader();
    expect(reader.join(-1, 'a')).toBe(false);
    expect(reader.join(1.5, 'a')).toBe(false);
    expect(reader.join(COLUMNS_MAX_INDEX, 'a')).toBe(false);
    expect(reader.join('1', 'a')).toBe(false);
    expect(reader.problems.bad_index).toBe(4);
    expect(reader.join(0, 'a')).toBe(true);
    expect(reader.join(0, 'b')).toBe(false); // no leave for a: counted, and b holds 0 now
    expect(reader.problems.index_taken).toBe(1);
    expect(reader.idAt(0)).toBe('b');
    expect(reader.leave(0, 'a')).toBe(false);
    expect(reader.leave(7, 'b')).toBe(false);
    expect(reader.problems.leave_unknown).toBe(2);
    expect(reader.leave(0, 'b')).toBe(true);
    expect(reader.size).toBe(0);
  });

  it('never throws on arbitrary bytes, nor on a valid header over arbitrary column bytes', () => {
    const reader = new ColumnReader();
    for (let i = 0; i < 16; i++) reader.join(i, `u${i}`);
    let kept = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400, size: 'max' }), fc.boolean(), (tail, withHeader) => {
        let bytes = tail;
        if (withHeader) {
          // Rows whose indices and floats are random bytes: NaNs, infinities, repeats, unknown indices.
          const n = Math.floor(tail.byteLength / 20);
          bytes = new Uint8Array(columnsFrameBytes(n, 0));
          bytes.set(good.subarray(0, 12));
          const v = new DataView(bytes.buffer);
          v.setUint8(5, 0);
          v.setUint32(12, n, true);
          bytes.set(tail.subarray(0, 20 * n), COLUMNS_HEADER_BYTES);
          // Small indices, so some rows are joined, some not, some repeated.
          for (let i = 0; i < n; i++) v.setUint32(COLUMNS_HEADER_BYTES + 4 * i, tail[4 * i]! % 24, true);
        }
        reader.read(bytes, (_, f, row) => {
          kept++;
          for (const c of [f.x, f.y, f.speed, f.angle]) expect(Number.isFinite(c[row]!)).toBe(true);
          expect(f.index[row]).toBeLessThan(16);
        });
      }),
      { numRuns: 500 },
    );
    // Both paths ran: frames read (rows kept and refused) and frames refused whole.
    expect(reader.frames).toBeGreaterThan(0);
    expect(reader.problems.unknown_index).toBeGreaterThan(0);
    expect(reader.problems.short + reader.problems.magic + reader.problems.length).toBeGreaterThan(0);
    expect(reader.problems.duplicate_index).toBeGreaterThan(0);
    expect(reader.problems.not_finite).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  });

  it('decodeColumns takes an ArrayBuffer and refuses what is not bytes', () => {
    expect(decodeColumns(good.slice().buffer).ok).toBe(true);
    expect(decodeColumns('TDCB' as unknown as ArrayBuffer).ok).toBe(false);
    expect(decodeColumns(undefined as unknown as ArrayBuffer).ok).toBe(false);
  });
});
