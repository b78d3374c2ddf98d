/**
 * f32-columns (docs/protocol.md, "Column batches"), per sink connection: the relay acknowledged the encoding
 * before sending any binary frame; joins and leaves carry an index and only such sinks get one; no update
 * travels as text to such a sink; every binary frame (logged base64 under `bin`) decodes, numbers its batches
 * 0, 1, 2, …, mentions only joined indices, once each, and holds values in the protocol's ranges.
 */
import {
  ANGLE_MAX,
  binaryPlaceholder,
  ColumnReader,
  MAX_SAFE_ID,
  RIM,
  SPEED_MAX,
  type ColumnFrame,
  type SliderId,
} from '../../protocol/index.js';
import type { Emit, Finding, Frame, StatefulRule } from './rule.js';

interface SinkColumns {
  /** The relay acknowledged f32-columns on this connection. */
  acknowledged: boolean;
  reader: ColumnReader;
  /** Batch number the next binary frame should have. */
  nextBatch: number;
  /** Where the reader's problems go while it reads one line. */
  report: (message: string) => void;
}

/** A binary line as file-validator hands it over. */
export interface BinaryLine {
  line: number;
  conn: number;
  dir: 'in' | 'out';
  msg: unknown;
  bin: string;
}

export class ColumnsRule implements StatefulRule {
  private readonly sinks = new Map<number, SinkColumns>();

  onFrame(frame: Frame, emit: Emit): void {
    if (frame.dir !== 'out' || frame.conn === undefined || !frame.result.ok) return;
    const { result } = frame;
    const conn = frame.conn;
    const finding = (message: string, path = '/'): Finding => ({ line: frame.line, severity: 'error', rule: 'columns', message, path, conn });
    if (result.kind === 'encoding') {
      this.sink(conn, frame.line, emit).acknowledged = true;
      return;
    }
    const s = this.sinks.get(conn);
    if (result.kind === 'relayConnect' || result.kind === 'relayDelete') {
      const { index, sliderId } = result.message;
      if (s === undefined) {
        if (index !== undefined) emit(finding(`an index went to conn ${conn}, which did not ask for f32-columns`, '/index'));
        return;
      }
      if (index === undefined) {
        emit(finding(`${result.kind === 'relayConnect' ? 'join' : 'leave'} for ${JSON.stringify(sliderId)} without the index an f32-columns sink needs`, '/index'));
        return;
      }
      s.report = (message) => emit(finding(message, '/index'));
      if (result.kind === 'relayConnect') s.reader.join(index, sliderId);
      else s.reader.leave(index, sliderId);
      return;
    }
    if (s !== undefined && (result.kind === 'update' || result.kind === 'batch')) {
      emit(finding(`an ${result.kind} went as text to conn ${conn}, an f32-columns sink (updates travel in binary frames only)`));
    }
  }

  /** A line with `bin`: a binary frame the relay sent. */
  onBinary(b: BinaryLine, emit: Emit): void {
    const finding = (message: string): Finding => ({ line: b.line, severity: 'error', rule: 'columns', message, path: '/bin', conn: b.conn });
    if (b.dir !== 'out') {
      emit(finding('a binary frame logged inbound: only the relay sends binary frames'));
      return;
    }
    const bytes = Buffer.from(b.bin, 'base64');
    if (b.msg !== binaryPlaceholder(bytes.byteLength)) {
      emit({ ...finding(`msg should be ${JSON.stringify(binaryPlaceholder(bytes.byteLength))} beside bin`), path: '/msg' });
    }
    let s = this.sinks.get(b.conn);
    if (s === undefined || !s.acknowledged) {
      emit(finding(`a binary frame to conn ${b.conn} before (or without) the f32-columns acknowledgement`));
      s ??= this.sink(b.conn, b.line, emit);
    }
    s.report = (message) => emit(finding(message));
    const frame = s.reader.read(bytes, (id, f, row) => checkRow(id, f, row, (message) => emit(finding(message))));
    if (frame === undefined) return;
    if (frame.batch !== s.nextBatch) emit(finding(`batch number ${frame.batch}, expected ${s.nextBatch} (per sink: 0, 1, 2, …)`));
    s.nextBatch = (frame.batch + 1) >>> 0;
  }

  onEnd(): void {
    this.sinks.clear();
  }

  private sink(conn: number, line: number, emit: Emit): SinkColumns {
    let s = this.sinks.get(conn);
    if (s === undefined) {
      const state: SinkColumns = {
        acknowledged: false,
        nextBatch: 0,
        report: (message) => emit({ line, severity: 'error', rule: 'columns', message, conn }),
        reader: new ColumnReader((problem, message) => state.report(`column batch: ${message} (${problem})`)),
      };
      s = state;
      this.sinks.set(conn, s);
    }
    return s;
  }
}

/** The reader has dropped rows with NaN and infinities; the ranges are the update schema's. */
function checkRow(id: SliderId, f: ColumnFrame, row: number, report: (message: string) => void): void {
  const where = `batch ${f.batch} row ${row} (${JSON.stringify(id)})`;
  const out = (name: string, v: number, min: number, max: number): void => {
    if (v < min || v > max) report(`${where}: ${name} ${v} is outside ${min}…${max}`);
  };
  out('x', f.x[row]!, -RIM, RIM);
  out('y', f.y[row]!, -RIM, RIM);
  out('speed', f.speed[row]!, 0, SPEED_MAX);
  out('angle', f.angle[row]!, 0, ANGLE_MAX);
  const seq = f.seq?.[row];
  if (seq !== undefined && !Number.isNaN(seq) && !(Number.isInteger(seq) && seq >= 0 && seq <= MAX_SAFE_ID)) {
    report(`${where}: seq ${seq} is not an integer 0…2^53−1`);
  }
  const dt = f.dt?.[row];
  if (dt !== undefined && !Number.isNaN(dt) && !(Number.isFinite(dt) && f.t0 + dt >= 0)) report(`${where}: dt ${dt} gives no valid t (t0 ${f.t0})`);
}
