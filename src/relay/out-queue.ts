/**
 * The outbound queue of one recipient (a sink; in broadcast mode any client).
 *
 * Direct: each frame is sent as it comes. When the socket's buffered bytes pass the high-water mark the queue
 * switches to coalescing: per user it keeps at most one delete, one connect and the latest update, so memory is
 * bounded by the number of users, not by how long the sink stalls; it flushes once the buffer has drained.
 * Batch (a sink that said `batchHz`, at least MIN_BATCH_HZ): the same per-user state, sent each tick as one
 * `batch` frame, or several when one would pass MAX_BATCH_MESSAGES or MAX_BATCH_FRAME_BYTES.
 *
 * Either way, a user who joined and left while nothing went out is never seen by this recipient: the pair is
 * dropped, so churn between two sends costs nothing (the relay forwards a connect only for a user the sinks do
 * not have, so a pending connect without a pending delete means this recipient never saw the user).
 */
import { batchFrames, type UpdateMessage } from '../protocol/index.js';
import type { RelayMetrics } from './metrics.js';

/**
 * Where a queue's frames go: all it needs of a connection, so the queue does not know connections (and
 * connection, identity and queue import no one in a circle).
 */
export interface Outlet {
  /** Bytes the peer has not taken yet. */
  readonly backlog: number;
  readonly isOpen: boolean;
  /** Sends one text frame. */
  send(text: string): void;
}

export type OutKind = 'connect' | 'update' | 'delete';

/** A connection's outbound queue: this one, or ColumnBatch (column-batch.ts) for a sink that asked for f32-columns. */
export interface SinkQueue {
  readonly batchHz?: number | undefined;
  /** Users with something pending. */
  readonly size: number;
  /**
   * @param recvAt performance.now() when the frame arrived, or -1 for frames the relay made itself
   * @param update an update's validated fields (column batches send these, not the text)
   */
  push(key: string, kind: OutKind, text: string, recvAt: number, update?: UpdateMessage): void;
  close(): void;
}

interface Pending {
  del: string | undefined;
  con: string | undefined;
  upd: string | undefined;
  /** When the pending update was received (performance.now()), or -1 for relay-made frames. */
  at: number;
}

export interface OutQueueContext {
  readonly metrics: RelayMetrics;
  readonly highWaterBytes: number;
}

const DRAIN_POLL_MS = 20;

export class OutQueue implements SinkQueue {
  private readonly pending = new Map<string, Pending>();
  private coalescing = false;
  /** A batch tick was skipped because the sink had not drained: replaced updates count as back-pressure drops. */
  private congested = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outlet: Outlet,
    private readonly ctx: OutQueueContext,
    readonly batchHz?: number,
  ) {
    if (batchHz !== undefined) {
      this.timer = setInterval(() => this.flushBatch(), Math.ceil(1000 / batchHz));
      this.timer.unref();
    }
  }

  /** Users with something pending. */
  get size(): number {
    return this.pending.size;
  }

  /** @param recvAt performance.now() when the frame arrived, or -1 for frames the relay made itself. */
  push(key: string, kind: OutKind, text: string, recvAt: number): void {
    if (this.batchHz === undefined && !this.coalescing) {
      if (this.outlet.backlog <= this.ctx.highWaterBytes) {
        this.outlet.send(text);
        if (recvAt >= 0) this.ctx.metrics.latency.observeMs(performance.now() - recvAt);
        return;
      }
      this.startCoalescing();
    }
    this.add(key, kind, text, recvAt);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private add(key: string, kind: OutKind, text: string, recvAt: number): void {
    const p = this.pending.get(key);
    if (p === undefined) {
      this.pending.set(key, {
        del: kind === 'delete' ? text : undefined,
        con: kind === 'connect' ? text : undefined,
        upd: kind === 'update' ? text : undefined,
        at: kind === 'update' ? recvAt : -1,
      });
      return;
    }
    if (kind === 'update') {
      if (p.upd !== undefined) this.skipped(1);
      p.upd = text;
      p.at = recvAt;
    } else if (kind === 'connect') {
      if (p.con !== undefined) this.skipped(1);
      p.con = text;
    } else {
      const superseded = (p.upd === undefined ? 0 : 1) + (p.con === undefined ? 0 : 1);
      // Joined and left unseen: the pair goes (see the header).
      if (p.con !== undefined && p.del === undefined) {
        this.pending.delete(key);
        this.skipped(superseded + 1);
        return;
      }
      this.skipped(superseded + (p.del === undefined ? 0 : 1));
      p.del = text;
      p.con = undefined;
      p.upd = undefined;
      p.at = -1;
    }
  }

  private skipped(n: number): void {
    if (n === 0) return;
    if (this.batchHz !== undefined && !this.congested) this.ctx.metrics.batchCoalesced += n;
    else this.ctx.metrics.drop('backpressure', n);
  }

  private startCoalescing(): void {
    this.coalescing = true;
    this.timer = setInterval(() => this.flushCoalesced(), DRAIN_POLL_MS);
    this.timer.unref();
  }

  private flushCoalesced(): void {
    if (!this.outlet.isOpen) return;
    // Hysteresis: wait until half the high-water mark has drained, so the queue does not flap.
    if (this.outlet.backlog > this.ctx.highWaterBytes / 2) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.coalescing = false;
    const latency = this.ctx.metrics.latency;
    const now = performance.now();
    for (const p of this.pending.values()) {
      if (p.del !== undefined) this.outlet.send(p.del);
      if (p.con !== undefined) this.outlet.send(p.con);
      if (p.upd !== undefined) {
        this.outlet.send(p.upd);
        if (p.at >= 0) latency.observeMs(now - p.at);
      }
    }
    this.pending.clear();
  }

  private flushBatch(): void {
    if (this.pending.size === 0 || !this.outlet.isOpen) return;
    if (this.outlet.backlog > this.ctx.highWaterBytes) {
      this.congested = true;
      return;
    }
    this.congested = false;
    const latency = this.ctx.metrics.latency;
    const now = performance.now();
    const messages: string[] = [];
    for (const p of this.pending.values()) {
      if (p.del !== undefined) messages.push(p.del);
      if (p.con !== undefined) messages.push(p.con);
      if (p.upd !== undefined) {
        messages.push(p.upd);
        if (p.at >= 0) latency.observeMs(now - p.at);
      }
    }
    this.pending.clear();
    for (const frame of batchFrames(messages)) this.outlet.send(frame);
  }
}
