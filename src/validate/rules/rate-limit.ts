/**
 * Inbound rate per connection, judged as the relay does: the protocol's token bucket over the log's timestamps. One finding per episode of excess, completed with its extent when it ends,
 * so a flood is one line of output rather than thousands. Under a steady overload the bucket lets a frame through
 * now and then, so an episode ends only after a quiet second without excess.
 */
import { TokenBucket } from '../../protocol/index.js';
import type { Violation } from '../types.js';
import { isInbound, type Emit, type Frame, type StatefulRule } from './rule.js';

/** An episode ends when this long passes without an excess frame. */
const EPISODE_GAP_MS = 1000;

interface Episode {
  violation: Violation | undefined;
  lastTs: number;
  firstLine: number;
  lastLine: number;
  frames: number;
}

interface ConnState {
  bucket: TokenBucket;
  episode?: Episode;
}

export class RateLimitRule implements StatefulRule {
  private readonly conns = new Map<number, ConnState>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  onFrame(frame: Frame, emit: Emit): boolean {
    if (!isInbound(frame)) return false;
    let state = this.conns.get(frame.conn);
    if (!state) {
      state = { bucket: new TokenBucket(this.rate, this.burst, frame.ts) };
      this.conns.set(frame.conn, state);
    }
    if (state.episode && frame.ts - state.episode.lastTs >= EPISODE_GAP_MS) {
      this.close(state.episode, frame.conn);
      delete state.episode;
    }
    // Drops the relay sampled out of the log still reached it: all but rate_limited ones took a token there.
    if (frame.skipped !== undefined && frame.dropped !== 'rate_limited') for (let i = 0; i < frame.skipped; i++) state.bucket.take(frame.ts);
    const took = state.bucket.take(frame.ts);
    // A sampled rate_limited line also stands for the unlogged drops before it: they were over the limit by the
    // relay's count, and the log has no times to replay them by. They count whatever the bucket says of this
    // line (a line held back until its connection ended comes late, when the bucket may have refilled).
    const held = frame.dropped === 'rate_limited' ? (frame.skipped ?? 0) : 0;
    const frames = (took ? 0 : 1) + held;
    if (frames === 0) return false;
    if (state.episode) {
      state.episode.frames += frames;
      state.episode.lastLine = frame.line;
      state.episode.lastTs = frame.ts;
      return true;
    }
    const violation = emit({
      line: frame.line,
      severity: 'error',
      rule: 'rate_limited',
      message: `conn ${frame.conn} sent faster than ${this.rate} msg/s (burst ${this.burst})`,
      conn: frame.conn,
      ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
    });
    state.episode = { violation, lastTs: frame.ts, firstLine: frame.line, lastLine: frame.line, frames };
    return true;
  }

  onEnd(): void {
    for (const [conn, state] of this.conns) {
      if (state.episode) this.close(state.episode, conn);
    }
    this.conns.clear();
  }

  private close(episode: Episode, conn: number): void {
    if (!episode.violation) return;
    const lines = episode.firstLine === episode.lastLine ? `line ${episode.firstLine}` : `lines ${episode.firstLine}-${episode.lastLine}`;
    const frames = episode.frames === 1 ? '1 frame' : `${episode.frames} frames`;
    episode.violation.message = `conn ${conn} sent faster than ${this.rate} msg/s (burst ${this.burst}): ${frames} over the limit on ${lines}`;
  }
}
