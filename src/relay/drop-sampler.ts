/**
 * Which drops the log writes in full. A flood of junk must not become a flood of log lines (the issue measured
 * 80–107 MB/s), yet the log should still account for every drop: per connection and reason the first
 * LOG_DROPS_BURST are logged, then one a second, each carrying `skipped`, the drops of that reason it stands
 * for that were not logged. When the connection ends, its last unlogged drop of each reason is logged with the
 * remainder, so the `1 + skipped` of a connection's drop lines add up to what /metrics counted.
 */
import { LOG_DROPS_BURST, TokenBucket, type ConnectionRole } from '../protocol/index.js';

/** A drop kept back, written when the connection ends if no later drop carried its count. */
export interface HeldDrop {
  ts: number;
  conn: number;
  role: ConnectionRole;
  text: string;
  reason: string;
  /** Unlogged drops before this one. */
  skipped: number;
}

interface ReasonState {
  bucket: TokenBucket;
  /** Drops not logged since the last logged one, this one's predecessors included. */
  unlogged: number;
  last: HeldDrop | undefined;
}

const LOG_DROPS_PER_S = 1;

export class DropSampler {
  private readonly conns = new Map<number, Map<string, ReasonState>>();
  /** Drops not written (yet): sampled out, or held until the connection ends. */
  held = 0;

  /**
   * Returns how many unlogged drops this line stands for besides itself, or undefined when it is not logged
   * now (it is then held as the connection's last drop of this reason).
   */
  admit(conn: number, role: ConnectionRole, reason: string, text: string, ts: number, now: number): number | undefined {
    let reasons = this.conns.get(conn);
    if (reasons === undefined) {
      reasons = new Map();
      this.conns.set(conn, reasons);
    }
    let state = reasons.get(reason);
    if (state === undefined) {
      state = { bucket: new TokenBucket(LOG_DROPS_PER_S, LOG_DROPS_BURST, now), unlogged: 0, last: undefined };
      reasons.set(reason, state);
    }
    if (state.bucket.take(now)) {
      const skipped = state.unlogged;
      this.held -= skipped;
      state.unlogged = 0;
      state.last = undefined;
      return skipped;
    }
    // The held one becomes one more skipped drop behind this newer one.
    state.last = { ts, conn, role, text, reason, skipped: state.unlogged };
    state.unlogged++;
    this.held++;
    return undefined;
  }

  /** The connection ended: its held drops, to be written now; its state is forgotten. */
  release(conn: number): HeldDrop[] {
    const reasons = this.conns.get(conn);
    if (reasons === undefined) return [];
    this.conns.delete(conn);
    const out: HeldDrop[] = [];
    for (const state of reasons.values()) {
      if (state.last === undefined) continue;
      this.held -= state.unlogged;
      out.push(state.last);
    }
    return out;
  }

  /** Every connection's held drops (the relay is closing). */
  releaseAll(): HeldDrop[] {
    return [...this.conns.keys()].flatMap((c) => this.release(c));
  }
}
