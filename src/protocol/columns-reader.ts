/**
 * The sink side of f32-columns (docs/protocol.md, "Column batches"): which user each index stands for (from the
 * join and leave text frames) and the rows of each binary frame that can be trusted. What the protocol tells a
 * reader to count and ignore is counted here and never raised: malformed frames (short, long, bad magic, unknown
 * version or flags) are skipped whole; rows whose index has no join, that repeat an index already in the frame
 * (the later one goes), or that hold NaN or ±Infinity in x, y, speed or angle are skipped alone.
 * Used by the simulator's measuring sink, `validate` and the tests.
 */
import { COLUMNS_MAX_INDEX } from './constants.js';
import { COLUMN_FRAME_PROBLEMS, decodeColumns, type ColumnFrame } from './columns.js';
import type { SliderId } from './types.js';
import { userKey } from './user-key.js';

export const COLUMN_ROW_PROBLEMS = ['unknown_index', 'duplicate_index', 'not_finite'] as const;
/** Join and leave frames that do not fit the reader's table (a relay never sends them). */
export const COLUMN_LINK_PROBLEMS = ['bad_index', 'index_taken', 'leave_unknown'] as const;
export type ColumnProblem =
  | (typeof COLUMN_FRAME_PROBLEMS)[number]
  | (typeof COLUMN_ROW_PROBLEMS)[number]
  | (typeof COLUMN_LINK_PROBLEMS)[number];
export const COLUMN_PROBLEMS: readonly ColumnProblem[] = [...COLUMN_FRAME_PROBLEMS, ...COLUMN_ROW_PROBLEMS, ...COLUMN_LINK_PROBLEMS];

/** Called for each row kept: read its values as `frame.x[row]` and so on. */
export type ColumnRowVisitor = (id: SliderId, frame: ColumnFrame, row: number) => void;
/** Told about each problem as it is counted (validate turns them into violations). */
export type ColumnProblemListener = (problem: ColumnProblem, message: string) => void;

export class ColumnReader {
  readonly problems: Record<ColumnProblem, number> = Object.fromEntries(COLUMN_PROBLEMS.map((p) => [p, 0])) as Record<ColumnProblem, number>;
  /** Binary frames read, and rows kept from them. */
  frames = 0;
  rows = 0;
  private readonly ids = new Map<number, SliderId>();
  /** The frame number an index was last seen in, to find repeats without clearing a set per frame. */
  private readonly seenIn = new Uint32Array(COLUMNS_MAX_INDEX);
  private stamp = 0;

  constructor(private readonly onProblem?: ColumnProblemListener) {}

  /** Users joined and not left. */
  get size(): number {
    return this.ids.size;
  }

  idAt(index: number): SliderId | undefined {
    return this.ids.get(index);
  }

  /** A join text frame (`connect` with `index`). Returns false when it was counted as a problem. */
  join(index: unknown, id: SliderId): boolean {
    if (!validIndex(index)) return this.problem('bad_index', `join for ${JSON.stringify(id)} with index ${JSON.stringify(index)}`);
    const held = this.ids.get(index);
    // The newer join wins: a reader follows the relay rather than its own idea of the table.
    this.ids.set(index, id);
    if (held !== undefined) return this.problem('index_taken', `join for ${JSON.stringify(id)} at index ${index}, still held by ${JSON.stringify(held)}`);
    return true;
  }

  /** A leave text frame (`delete` with `index`). */
  leave(index: unknown, id: SliderId): boolean {
    if (!validIndex(index)) return this.problem('bad_index', `leave for ${JSON.stringify(id)} with index ${JSON.stringify(index)}`);
    const held = this.ids.get(index);
    if (held === undefined || userKey(held) !== userKey(id)) {
      return this.problem('leave_unknown', `leave for ${JSON.stringify(id)} at index ${index}, which holds ${held === undefined ? 'no one' : JSON.stringify(held)}`);
    }
    this.ids.delete(index);
    return true;
  }

  /** Forget every join (the sink's connection ended: indices are per connection). */
  reset(): void {
    this.ids.clear();
  }

  /** One binary frame: visits each row that can be trusted; returns the frame, or undefined when refused whole. */
  read(data: ArrayBufferView | ArrayBuffer, visit: ColumnRowVisitor): ColumnFrame | undefined {
    const decoded = decodeColumns(data);
    if (!decoded.ok) {
      this.problem(decoded.problem, decoded.message);
      return undefined;
    }
    const frame = decoded.frame;
    this.frames++;
    const stamp = this.nextStamp();
    const { index, x, y, speed, angle } = frame;
    for (let row = 0; row < frame.count; row++) {
      const k = index[row]!;
      const id = this.ids.get(k);
      if (id === undefined) {
        this.problem('unknown_index', `batch ${frame.batch} row ${row}: index ${k} has no join`);
        continue;
      }
      if (this.seenIn[k] === stamp) {
        this.problem('duplicate_index', `batch ${frame.batch} row ${row}: index ${k} appears twice`);
        continue;
      }
      this.seenIn[k] = stamp;
      if (!Number.isFinite(x[row]!) || !Number.isFinite(y[row]!) || !Number.isFinite(speed[row]!) || !Number.isFinite(angle[row]!)) {
        this.problem('not_finite', `batch ${frame.batch} row ${row}: index ${k} has a NaN or infinite value`);
        continue;
      }
      this.rows++;
      visit(id, frame, row);
    }
    return frame;
  }

  private nextStamp(): number {
    this.stamp++;
    if (this.stamp === 0xffffffff) {
      this.seenIn.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }

  private problem(kind: ColumnProblem, message: string): false {
    this.problems[kind]++;
    this.onProblem?.(kind, message);
    return false;
  }
}

function validIndex(index: unknown): index is number {
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < COLUMNS_MAX_INDEX;
}
