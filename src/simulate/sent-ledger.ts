/**
 * What the simulator sent and who it believes is live: the ground truth the measuring sink compares against.
 *
 * Two ways to recognise an update at the sink:
 * - stamped (default): the update carries `seq` and `t`, the sink reads them directly;
 * - matched (--legacy, --replay): the frame carries no usable stamp, so the sender files each update under its
 *   field values and the sink looks the values up to recover seq and send time. JSON numbers survive a relay's
 *   re-serialisation exactly, so the lookup is exact; identical repeated values are queued first-in first-out.
 *
 * Ids are filed under their user key (`userKey` in src/protocol, docs/protocol.md "Identity"): 5 and "5" are one
 * user here as at the relay. Callers pass the key, computed once per user (senders) or per frame (the sink).
 */
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
  /** By user key. */
  private readonly ids = new Map<string, IdState>();
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

  own(key: string): void {
    if (!this.ids.has(key)) this.ids.set(key, { live: false, lastSeq: -1, updates: 0, pending: this.matched ? new Map() : undefined });
  }

  /**
   * Claim every integer id in [from, to) at once. Generator threads report new ids only every few tens of ms,
   * and the sink may see a new user's first frames before that: the range makes them ours from the start.
   */
  ownRange(from: number, to: number): void {
    this.range = { from, to };
  }

  private range: { from: number; to: number } | undefined;

  /** The key of an integer id in the range (an integer's key is its decimal text). */
  private inRange(key: string): boolean {
    if (this.range === undefined) return false;
    const n = Number(key);
    return n >= this.range.from && n < this.range.to && String(n) === key;
  }

  private state(key: string): IdState | undefined {
    const s = this.ids.get(key);
    if (s || !this.inRange(key)) return s;
    this.own(key);
    return this.ids.get(key);
  }

  isOurs(key: string): boolean {
    return this.ids.has(key) || this.inRange(key);
  }

  /** The id announced itself (connect) or moved: the sink should show it. */
  setLive(key: string, live: boolean): void {
    const s = this.state(key);
    if (s) s.live = live;
  }

  isLive(key: string): boolean {
    return this.ids.get(key)?.live === true;
  }

  /** Keys of the users the sink should show. */
  liveKeys(): Set<string> {
    const out = new Set<string>();
    for (const [key, s] of this.ids) if (s.live) out.add(key);
    return out;
  }

  /** Keys of the users that sent at least one update, with the seq of their last one. */
  lastSeqs(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, s] of this.ids) if (s.lastSeq >= 0) out.set(key, s.lastSeq);
    return out;
  }

  /** Record an update (stamped mode: `seq` as sent). Returns the seq. `values`: the update's valueKey. */
  sentUpdate(key: string, t: number, seq?: number, values?: string): number {
    const s = this.ids.get(key);
    if (!s) return -1;
    const n = seq ?? s.lastSeq + 1;
    s.lastSeq = n;
    s.updates++;
    s.live = true;
    this.sent++;
    this.sentPerSecond.add((t - this.startMs) / 1000);
    if (s.pending && values !== undefined) file(s.pending, values, { seq: n, t });
    return n;
  }

  /** From a generator thread: the user `key` has sent updates up to `seq`. */
  recordLastSeq(key: string, seq: number): void {
    const s = this.state(key);
    if (s && seq > s.lastSeq) s.lastSeq = seq;
  }

  /** From a generator thread: `n` updates were sent in second `second` of the run. */
  addSent(second: number, n: number): void {
    this.sent += n;
    this.sentPerSecond.add(second, n);
  }

  /** Matched mode: which update of user `key` these field values were; undefined when none is outstanding. */
  match(key: string, values: string): SentRecord | undefined {
    const pending = this.ids.get(key)?.pending;
    if (!pending) return undefined;
    const entry = pending.get(values);
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) {
      pending.delete(values);
      return entry;
    }
    const first = entry.shift();
    if (entry.length === 0) pending.delete(values);
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
