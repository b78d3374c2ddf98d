/**
 * What the simulator sent and who it believes is live: the ground truth the measuring sink compares against.
 *
 * Two ways to recognise an update at the sink:
 * - stamped (default): the update carries `seq` and `t`, the sink reads them directly;
 * - matched (--legacy, --replay): the frame carries no usable stamp, so the sender files each update under its
 *   field values and the sink looks the values up to recover seq and send time. JSON numbers survive a relay's
 *   re-serialisation exactly, so the lookup is exact; identical repeated values are queued first-in first-out.
 */
import type { SliderId } from '../protocol/index.js';
import { PerSecond } from './series.js';

export interface SentRecord {
  seq: number;
  t: number;
}

interface IdState {
  live: boolean;
  /** Seq of the last update sent, -1 before the first. */
  lastSeq: number;
  updates: number;
  pending: Map<string, SentRecord | SentRecord[]> | undefined;
}

/** Bounds memory when a relay drops updates in matched mode: the oldest unmatched entries are forgotten. */
const MAX_PENDING_PER_ID = 50_000;

export class SentLedger {
  private readonly ids = new Map<SliderId, IdState>();
  /** Updates that the sink should receive. */
  sent = 0;
  readonly sentPerSecond = new PerSecond();

  constructor(
    readonly matched: boolean,
    /** Epoch ms the run started: second 0 of the series. */
    public startMs: number,
  ) {}

  /** The send phase starts now (after the sink's admission): second 0 of every per-second series. */
  rebase(startMs: number): void {
    this.startMs = startMs;
  }

  own(id: SliderId): void {
    if (!this.ids.has(id)) this.ids.set(id, { live: false, lastSeq: -1, updates: 0, pending: this.matched ? new Map() : undefined });
  }

  /**
   * Claim every integer id in [from, to) at once. Generator threads report new ids only every few tens of ms,
   * and the sink may see a new user's first frames before that: the range makes them ours from the start.
   */
  ownRange(from: number, to: number): void {
    this.range = { from, to };
  }

  private range: { from: number; to: number } | undefined;

  private inRange(id: SliderId): boolean {
    return this.range !== undefined && typeof id === 'number' && id >= this.range.from && id < this.range.to;
  }

  private state(id: SliderId): IdState | undefined {
    const s = this.ids.get(id);
    if (s || !this.inRange(id)) return s;
    this.own(id);
    return this.ids.get(id);
  }

  isOurs(id: SliderId): boolean {
    return this.ids.has(id) || this.inRange(id);
  }

  /** The id announced itself (connect) or moved: the sink should show it. */
  setLive(id: SliderId, live: boolean): void {
    const s = this.state(id);
    if (s) s.live = live;
  }

  isLive(id: SliderId): boolean {
    return this.ids.get(id)?.live === true;
  }

  liveIds(): SliderId[] {
    const out: SliderId[] = [];
    for (const [id, s] of this.ids) if (s.live) out.push(id);
    return out;
  }

  /** Ids that sent at least one update, with the seq of their last one. */
  lastSeqs(): Map<SliderId, number> {
    const out = new Map<SliderId, number>();
    for (const [id, s] of this.ids) if (s.lastSeq >= 0) out.set(id, s.lastSeq);
    return out;
  }

  /** Record an update (stamped mode: `seq` as sent). Returns the seq. */
  sentUpdate(id: SliderId, t: number, seq?: number, key?: string): number {
    const s = this.ids.get(id);
    if (!s) return -1;
    const n = seq ?? s.lastSeq + 1;
    s.lastSeq = n;
    s.updates++;
    s.live = true;
    this.sent++;
    this.sentPerSecond.add((t - this.startMs) / 1000);
    if (s.pending && key !== undefined) file(s.pending, key, { seq: n, t });
    return n;
  }

  /** From a generator thread: `id` has sent updates up to `seq`. */
  recordLastSeq(id: SliderId, seq: number): void {
    const s = this.state(id);
    if (s && seq > s.lastSeq) s.lastSeq = seq;
  }

  /** From a generator thread: `n` updates were sent in second `second` of the run. */
  addSent(second: number, n: number): void {
    this.sent += n;
    this.sentPerSecond.add(second, n);
  }

  /** Matched mode: which update of `id` these field values were; undefined when none is outstanding. */
  match(id: SliderId, key: string): SentRecord | undefined {
    const pending = this.ids.get(id)?.pending;
    if (!pending) return undefined;
    const entry = pending.get(key);
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) {
      pending.delete(key);
      return entry;
    }
    const first = entry.shift();
    if (entry.length === 0) pending.delete(key);
    return first;
  }
}

function file(pending: Map<string, SentRecord | SentRecord[]>, key: string, rec: SentRecord): void {
  const prev = pending.get(key);
  if (prev === undefined) pending.set(key, rec);
  else if (Array.isArray(prev)) prev.push(rec);
  else pending.set(key, [prev, rec]);
  if (pending.size > MAX_PENDING_PER_ID) {
    const oldest = pending.keys().next().value;
    if (oldest !== undefined) pending.delete(oldest);
  }
}

/** The lookup key of an update's values (both sides build it from numbers, so formatting agrees). */
export function valueKey(x: unknown, y: unknown, speed: unknown, angle: unknown, seq?: unknown): string {
  return seq === undefined ? `${x}|${y}|${speed}|${angle}` : `${x}|${y}|${speed}|${angle}|${seq}`;
}
