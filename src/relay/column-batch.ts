/**
 * The outbound queue of an f32-columns sink (docs/protocol.md, "Column batches"), beside OutQueue's JSON batches.
 *
 * Each user the sink hears of gets the lowest free index (LowestFree), kept until the user leaves. Joins and leaves
 * become text frames carrying the index, queued in the order they happen, which is the order the indices were
 * taken and freed; updates only mark the user's index dirty and keep a reference to its latest validated update.
 * Each tick sends the queued text frames, then one binary frame of the dirty users' latest values, written by a
 * ColumnEncoder that this queue keeps: the tick allocates no object per user.
 *
 * As with JSON batches: a user who joined and left between two ticks is never seen (its join is taken back and
 * its index freed), replaced updates are counted as coalesced, and a tick finding the sink's socket above the
 * high-water mark is skipped (what it replaces then counts as back-pressure).
 */
import { ColumnEncoder, COLUMNS_MAX_INDEX, indexedFrame, type UpdateMessage } from '../protocol/index.js';
import { LowestFree } from './lowest-free.js';
import type { Outlet, OutKind, OutQueueContext, SinkQueue } from './out-queue.js';

/** A connection that can send binary frames too. */
export interface BinaryOutlet extends Outlet {
  sendBinary(bytes: Uint8Array): void;
}

/** Cancelled joins leave holes in the text queue; past this many (and half the queue), it is compacted. */
const COMPACT_HOLES = 1024;

export class ColumnBatch implements SinkQueue {
  private readonly indices: LowestFree;
  /** User key → index, for users joined (sent or queued). */
  private readonly slots = new Map<string, number>();
  /** Per index: the latest update of this tick, or undefined. */
  private readonly latest: Array<UpdateMessage | undefined> = [];
  /** Per index: when that update arrived (performance.now()), -1 for the snapshot's. */
  private at = new Float64Array(64);
  /** Per index: its position in `texts` while its join is still queued, else -1. */
  private joinAt = new Int32Array(64).fill(-1);
  private dirty = new Uint8Array(64);
  private readonly dirtyList: number[] = [];
  /** Join and leave frames for the next tick, in order; undefined where a join was taken back. */
  private texts: Array<string | undefined> = [];
  /** For each entry of `texts`: the index a join is for, or -1 for a leave. */
  private textJoins: number[] = [];
  private holes = 0;
  private readonly encoder = new ColumnEncoder();
  private batch = 0;
  private congested = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outlet: BinaryOutlet,
    private readonly ctx: OutQueueContext,
    readonly batchHz: number,
    maxIndex = COLUMNS_MAX_INDEX,
  ) {
    this.indices = new LowestFree(maxIndex);
    this.timer = setInterval(() => this.flush(), Math.ceil(1000 / batchHz));
    this.timer.unref();
  }

  /** Users with something queued. */
  get size(): number {
    return this.dirtyList.length + this.texts.length - this.holes;
  }

  push(key: string, kind: OutKind, text: string, recvAt: number, update?: UpdateMessage): void {
    if (kind === 'update') {
      const index = this.slots.get(key);
      // No index: the sink ran out of them when this user joined (counted then).
      if (index === undefined) return;
      // A caller with the text only (e.g. an update relayed from another relay instance): read it back, the
      // slow way. The relay's own updates come with their validated fields.
      update ??= JSON.parse(text) as UpdateMessage;
      if (this.latest[index] !== undefined) this.skipped(1);
      this.latest[index] = update;
      this.at[index] = recvAt;
      if (this.dirty[index] === 0) {
        this.dirty[index] = 1;
        this.dirtyList.push(index);
      }
    } else if (kind === 'connect') {
      if (this.slots.has(key)) return; // the relay sends a connect only for users the sinks do not have
      const index = this.indices.take();
      if (index < 0) {
        this.ctx.metrics.columnsIndexFull++;
        return;
      }
      this.ensure(index);
      this.slots.set(key, index);
      this.joinAt[index] = this.texts.length;
      this.queue(indexedFrame(text, index), index);
    } else {
      const index = this.slots.get(key);
      if (index === undefined) return;
      this.slots.delete(key);
      const pendingUpdate = this.latest[index] !== undefined ? 1 : 0;
      this.latest[index] = undefined;
      const queuedJoin = this.joinAt[index]!;
      if (queuedJoin >= 0) {
        // Joined and left unseen: the pair goes, as in JSON batches.
        this.texts[queuedJoin] = undefined;
        this.holes++;
        this.joinAt[index] = -1;
        this.skipped(2 + pendingUpdate);
        this.compactIfHoley();
      } else {
        this.skipped(pendingUpdate);
        this.queue(indexedFrame(text, index), -1);
      }
      this.indices.free(index);
    }
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.texts = [];
    this.textJoins = [];
  }

  private queue(text: string, joinIndex: number): void {
    this.texts.push(text);
    this.textJoins.push(joinIndex);
  }

  private skipped(n: number): void {
    if (n === 0) return;
    if (this.congested) this.ctx.metrics.drop('backpressure', n);
    else this.ctx.metrics.batchCoalesced += n;
  }

  /** Per-index arrays grow with the highest index in use (a few users need no 64k-entry tables). */
  private ensure(index: number): void {
    if (index < this.dirty.length) return;
    let size = this.dirty.length;
    while (size <= index) size *= 2;
    const at = new Float64Array(size);
    at.set(this.at);
    this.at = at;
    const joinAt = new Int32Array(size).fill(-1);
    joinAt.set(this.joinAt);
    this.joinAt = joinAt;
    const dirty = new Uint8Array(size);
    dirty.set(this.dirty);
    this.dirty = dirty;
  }

  private compactIfHoley(): void {
    if (this.holes < COMPACT_HOLES || this.holes * 2 < this.texts.length) return;
    const texts: Array<string | undefined> = [];
    const joins: number[] = [];
    for (let i = 0; i < this.texts.length; i++) {
      const text = this.texts[i];
      if (text === undefined) continue;
      const index = this.textJoins[i]!;
      if (index >= 0) this.joinAt[index] = texts.length;
      texts.push(text);
      joins.push(index);
    }
    this.texts = texts;
    this.textJoins = joins;
    this.holes = 0;
  }

  private flush(): void {
    if (!this.outlet.isOpen || this.size === 0) return;
    if (this.outlet.backlog > this.ctx.highWaterBytes) {
      this.congested = true;
      return;
    }
    this.congested = false;
    const texts = this.texts;
    const joins = this.textJoins;
    this.texts = [];
    this.textJoins = [];
    this.holes = 0;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (text === undefined) continue;
      const index = joins[i]!;
      if (index >= 0) this.joinAt[index] = -1;
      this.outlet.send(text);
    }
    const list = this.dirtyList;
    const encoder = this.encoder;
    const latency = this.ctx.metrics.latency;
    const now = performance.now();
    for (let i = 0; i < list.length; i++) {
      const index = list[i]!;
      this.dirty[index] = 0;
      const u = this.latest[index];
      // Undefined: the user left after it moved this tick.
      if (u === undefined) continue;
      this.latest[index] = undefined;
      encoder.add(index, u.x, u.y, u.speed, u.angle, u.seq ?? NaN, u.t ?? NaN);
      const at = this.at[index]!;
      if (at >= 0) latency.observeMs(now - at);
    }
    list.length = 0;
    if (encoder.count > 0) this.outlet.sendBinary(encoder.finish(this.batch++ >>> 0));
  }
}
