/**
 * f32-columns, the binary column batch (docs/protocol.md, "Column batches"): the encoder the relay writes with,
 * and the decoder the simulator's sink, the validator and the tests read with. All little-endian; N rows:
 *
 *   0   "TDCB"   4 bytes
 *   4   u8       version (COLUMNS_VERSION)
 *   5   u8       flags: bit0 seq column, bit1 dt column
 *   6   u16      reserved, 0
 *   8   u32      batch number (per sink, from 0)
 *   12  u32      N
 *   16  f64      t0, epoch ms base of the dt column (0 without it)
 *   24  u32[N] index, then f32[N] x, y, speed, angle, then f64[N] seq (bit0), then f32[N] dt (bit1)
 *
 * The encoder stages rows in typed arrays that it keeps and grows (the relay's tick allocates no object per
 * user) and copies each column into the frame at the end, when N and so the column offsets are known. The
 * frame itself is a fresh buffer every time: `ws` keeps a reference to what it sends until the socket has
 * written it, so a reused one would be overwritten while still queued.
 *
 * The decoder never throws: a frame it cannot read is a `problem`, returned with a message.
 */
import {
  COLUMNS_FLAG_DT,
  COLUMNS_FLAG_SEQ,
  COLUMNS_HEADER_BYTES,
  COLUMNS_MAGIC,
  COLUMNS_VERSION,
} from './constants.js';

/** The magic as the u32 it reads as (little-endian), compared in one step. */
const MAGIC_U32 =
  COLUMNS_MAGIC.charCodeAt(0) | (COLUMNS_MAGIC.charCodeAt(1) << 8) | (COLUMNS_MAGIC.charCodeAt(2) << 16) | (COLUMNS_MAGIC.charCodeAt(3) << 24);
const KNOWN_FLAGS = COLUMNS_FLAG_SEQ | COLUMNS_FLAG_DT;
/** Column copies are byte copies of the host's typed arrays, which are the wire's order only on little-endian hosts. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes of a frame with `rows` rows and these flags. */
export function columnsFrameBytes(rows: number, flags: number): number {
  return COLUMNS_HEADER_BYTES + 20 * rows + (flags & COLUMNS_FLAG_SEQ ? 8 * rows : 0) + (flags & COLUMNS_FLAG_DT ? 4 * rows : 0);
}

/** One row's values, for callers that have them as an object (tests, fixtures); the relay calls `add`. */
export interface ColumnRow {
  index: number;
  x: number;
  y: number;
  speed: number;
  angle: number;
  seq?: number | undefined;
  t?: number | undefined;
}

export class ColumnEncoder {
  private capacity = 0;
  private rows = 0;
  private index = new Uint32Array(0);
  private x = new Float32Array(0);
  private y = new Float32Array(0);
  private speed = new Float32Array(0);
  private angle = new Float32Array(0);
  private seq = new Float64Array(0);
  private t = new Float64Array(0);
  private dt = new Float32Array(0);
  private anySeq = false;
  private anyT = false;
  private tMin = Infinity;

  constructor(initialRows = 64) {
    this.grow(Math.max(1, initialRows));
  }

  /** Rows added since the last `finish`. */
  get count(): number {
    return this.rows;
  }

  /**
   * Stages one row. `seq` and `t` are NaN (or left out) when the update had none. The caller adds each index at
   * most once per frame (the relay coalesces to the latest update per user).
   */
  add(index: number, x: number, y: number, speed: number, angle: number, seq = NaN, t = NaN): void {
    if (this.rows === this.capacity) this.grow(this.capacity * 2);
    const i = this.rows++;
    this.index[i] = index;
    this.x[i] = x;
    this.y[i] = y;
    this.speed[i] = speed;
    this.angle[i] = angle;
    this.seq[i] = seq;
    this.t[i] = t;
    if (seq === seq) this.anySeq = true;
    if (t === t) {
      this.anyT = true;
      if (t < this.tMin) this.tMin = t;
    }
  }

  /**
   * The staged rows as one frame, and a fresh start. The seq column is there when some row had a seq, the dt
   * column when some row had a t; t0 is the smallest t, so every dt is ≥ 0.
   */
  finish(batch: number): Uint8Array {
    const n = this.rows;
    const flags = (this.anySeq ? COLUMNS_FLAG_SEQ : 0) | (this.anyT ? COLUMNS_FLAG_DT : 0);
    const t0 = this.anyT ? this.tMin : 0;
    const out = new Uint8Array(columnsFrameBytes(n, flags));
    const view = new DataView(out.buffer);
    view.setUint32(0, MAGIC_U32, true);
    view.setUint8(4, COLUMNS_VERSION);
    view.setUint8(5, flags);
    view.setUint16(6, 0, true);
    view.setUint32(8, batch >>> 0, true);
    view.setUint32(12, n, true);
    view.setFloat64(16, t0, true);
    let at = COLUMNS_HEADER_BYTES;
    at = put(out, view, at, this.index, n);
    at = put(out, view, at, this.x, n);
    at = put(out, view, at, this.y, n);
    at = put(out, view, at, this.speed, n);
    at = put(out, view, at, this.angle, n);
    if (flags & COLUMNS_FLAG_SEQ) at = put(out, view, at, this.seq, n);
    if (flags & COLUMNS_FLAG_DT) {
      const t = this.t;
      const dt = this.dt;
      for (let i = 0; i < n; i++) dt[i] = t[i]! - t0; // NaN stays NaN
      put(out, view, at, dt, n);
    }
    this.rows = 0;
    this.anySeq = false;
    this.anyT = false;
    this.tMin = Infinity;
    return out;
  }

  private grow(capacity: number): void {
    const keep = this.rows;
    this.index = grown(new Uint32Array(capacity), this.index, keep);
    this.x = grown(new Float32Array(capacity), this.x, keep);
    this.y = grown(new Float32Array(capacity), this.y, keep);
    this.speed = grown(new Float32Array(capacity), this.speed, keep);
    this.angle = grown(new Float32Array(capacity), this.angle, keep);
    this.seq = grown(new Float64Array(capacity), this.seq, keep);
    this.t = grown(new Float64Array(capacity), this.t, keep);
    this.dt = new Float32Array(capacity);
    this.capacity = capacity;
  }
}

function grown<T extends Uint32Array | Float32Array | Float64Array>(to: T, from: T, keep: number): T {
  to.set(from.subarray(0, keep) as never);
  return to;
}

type Column = Uint32Array | Float32Array | Float64Array;

/** Copies the first `n` values of a column to `at` in little-endian order; returns the offset after it. */
function put(out: Uint8Array, view: DataView, at: number, column: Column, n: number): number {
  const size = column.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(column.buffer, column.byteOffset, n * size), at);
    return at + n * size;
  }
  for (let i = 0; i < n; i++, at += size) {
    const v = column[i]!;
    if (column instanceof Uint32Array) view.setUint32(at, v, true);
    else if (column instanceof Float32Array) view.setFloat32(at, v, true);
    else view.setFloat64(at, v, true);
  }
  return at;
}

/** Encodes rows given as objects: for tests and fixtures (the relay stages rows with `ColumnEncoder.add`). */
export function encodeColumns(batch: number, rows: readonly ColumnRow[]): Uint8Array {
  const encoder = new ColumnEncoder(rows.length);
  for (const r of rows) encoder.add(r.index, r.x, r.y, r.speed, r.angle, r.seq ?? NaN, r.t ?? NaN);
  return encoder.finish(batch);
}

/** One decoded frame, its columns as aligned typed arrays of length `count`. */
export interface ColumnFrame {
  version: number;
  flags: number;
  batch: number;
  t0: number;
  count: number;
  index: Uint32Array;
  x: Float32Array;
  y: Float32Array;
  speed: Float32Array;
  angle: Float32Array;
  /** With flag bit0: the updates' seq, NaN where an update had none. */
  seq: Float64Array | undefined;
  /** With flag bit1: t − t0 in ms, NaN where an update had no t. */
  dt: Float32Array | undefined;
}

/** Why a whole frame was refused. */
export const COLUMN_FRAME_PROBLEMS = ['short', 'length', 'magic', 'version', 'flags'] as const;
export type ColumnFrameProblem = (typeof COLUMN_FRAME_PROBLEMS)[number];

export type ColumnDecodeResult =
  | { ok: true; frame: ColumnFrame }
  | { ok: false; problem: ColumnFrameProblem; message: string };

/** Reads one binary frame. Never throws; checks the layout only (ReadColumns checks the rows against the joins). */
export function decodeColumns(data: ArrayBufferView | ArrayBuffer): ColumnDecodeResult {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(0);
  const length = bytes.byteLength;
  if (length < COLUMNS_HEADER_BYTES) {
    return refused('short', `${length} bytes, shorter than the ${COLUMNS_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  if (view.getUint32(0, true) !== MAGIC_U32) return refused('magic', `does not start with "${COLUMNS_MAGIC}"`);
  const version = view.getUint8(4);
  if (version !== COLUMNS_VERSION) return refused('version', `version ${version}, this reader knows ${COLUMNS_VERSION}`);
  const flags = view.getUint8(5);
  if ((flags & ~KNOWN_FLAGS) !== 0 || view.getUint16(6, true) !== 0) {
    return refused('flags', `flags 0x${flags.toString(16)} / reserved ${view.getUint16(6, true)}: unknown bits set`);
  }
  const batch = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  const expected = columnsFrameBytes(count, flags);
  if (length !== expected) return refused('length', `${length} bytes, but ${count} rows with flags ${flags} take ${expected}`);
  const t0 = view.getFloat64(16, true);
  let at = COLUMNS_HEADER_BYTES;
  const take = <T extends Column>(column: T): T => {
    at = get(bytes, view, at, column);
    return column;
  };
  const index = take(new Uint32Array(count));
  const x = take(new Float32Array(count));
  const y = take(new Float32Array(count));
  const speed = take(new Float32Array(count));
  const angle = take(new Float32Array(count));
  const seq = flags & COLUMNS_FLAG_SEQ ? take(new Float64Array(count)) : undefined;
  const dt = flags & COLUMNS_FLAG_DT ? take(new Float32Array(count)) : undefined;
  return { ok: true, frame: { version, flags, batch, t0, count, index, x, y, speed, angle, seq, dt } };
}

function refused(problem: ColumnFrameProblem, message: string): ColumnDecodeResult {
  return { ok: false, problem, message };
}

/** Fills `column` from `at`; the frame's columns need not be aligned, so this copies bytes. */
function get(bytes: Uint8Array, view: DataView, at: number, column: Column): number {
  const size = column.BYTES_PER_ELEMENT;
  const n = column.length;
  if (LITTLE_ENDIAN) {
    new Uint8Array(column.buffer).set(bytes.subarray(at, at + n * size));
    return at + n * size;
  }
  for (let i = 0; i < n; i++, at += size) {
    column[i] = column instanceof Uint32Array ? view.getUint32(at, true) : column instanceof Float32Array ? view.getFloat32(at, true) : view.getFloat64(at, true);
  }
  return at;
}
