/**
 * A sink that asked for f32-columns, for tests: every frame it receives in arrival order (text and binary), read
 * through the protocol's ColumnReader into the table TouchDesigner would keep (one row per user, latest values).
 */
import { ColumnReader, encodingFrame, helloFrame, parse, userKey, type SliderId } from '../../src/protocol/index.js';
import type { RelayHandle } from '../../src/relay/index.js';
import { Peer } from './peers.js';
import { until } from './wait.js';

export type ReceivedFrame = { text: string } | { bin: Buffer };

export interface ColumnRowValues {
  x: number;
  y: number;
  speed: number;
  angle: number;
  seq?: number;
  t?: number;
}

export class ColumnSink {
  /** Every frame in arrival order. */
  readonly received: ReceivedFrame[] = [];
  readonly reader = new ColumnReader();
  /** By user key: the id as joined, and its latest values (undefined until its first row). */
  readonly table = new Map<string, { id: SliderId; values: ColumnRowValues | undefined }>();
  /** Every join and leave, in order, with its index. */
  readonly links: Array<{ type: 'connect' | 'delete'; id: SliderId; index: number }> = [];
  /** Text frames that were neither joins nor leaves (the acknowledgement, errors, keep-alives). */
  readonly others: unknown[] = [];
  /** Text frames that carried an update: the protocol says none may. */
  textUpdates = 0;
  /** Frames that broke the protocol, by reason. */
  readonly invalid: string[] = [];

  private constructor(readonly peer: Peer) {
    peer.ws.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? this.onBinary(data) : this.onText(data.toString())));
  }

  /** Connects, says hello with f32-columns and waits for the acknowledgement. */
  static async open(relay: RelayHandle, batchHz: number, token?: string): Promise<ColumnSink> {
    const sink = new ColumnSink(await Peer.open(relay.url));
    sink.peer.send(helloFrame({ batchHz, encoding: 'f32-columns', token }));
    await until(() => sink.acknowledged, 'the f32-columns acknowledgement');
    return sink;
  }

  get acknowledged(): boolean {
    return this.received.some((f) => 'text' in f && f.text === encodingFrame());
  }

  get binaries(): number {
    return this.received.filter((f) => 'bin' in f).length;
  }

  private onText(text: string): void {
    this.received.push({ text });
    const r = parse(text, { origin: 'relay', maxBytes: 1 << 20 });
    if (!r.ok) {
      this.invalid.push(`${r.reason}: ${r.message}`);
      return;
    }
    if (r.kind === 'relayConnect' || r.kind === 'relayDelete') {
      const m = r.message;
      if (m.index === undefined) {
        this.invalid.push(`${r.kind} without an index: ${text}`);
        return;
      }
      const key = userKey(m.sliderId);
      if (r.kind === 'relayConnect') {
        this.reader.join(m.index, m.sliderId);
        this.table.set(key, { id: m.sliderId, values: undefined });
      } else {
        this.reader.leave(m.index, m.sliderId);
        this.table.delete(key);
      }
      this.links.push({ type: r.kind === 'relayConnect' ? 'connect' : 'delete', id: m.sliderId, index: m.index });
      return;
    }
    if (r.kind === 'update' || r.kind === 'batch') this.textUpdates++;
    else this.others.push('message' in r ? r.message : r.kind);
  }

  private onBinary(bin: Buffer): void {
    this.received.push({ bin });
    this.reader.read(bin, (id, f, row) => {
      const values: ColumnRowValues = { x: f.x[row]!, y: f.y[row]!, speed: f.speed[row]!, angle: f.angle[row]! };
      const seq = f.seq?.[row];
      if (seq !== undefined && !Number.isNaN(seq)) values.seq = seq;
      const dt = f.dt?.[row];
      if (dt !== undefined && !Number.isNaN(dt)) values.t = f.t0 + dt;
      this.table.get(userKey(id))!.values = values;
    });
  }

  /** Problems the reader counted (all zero for frames a relay wrote). */
  problemCount(): number {
    return Object.values(this.reader.problems).reduce((a, b) => a + b, 0);
  }

  close(): void {
    this.peer.close();
  }
}
