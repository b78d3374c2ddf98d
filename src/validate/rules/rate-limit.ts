/**
 * Inbound rate per connection, judged as the relay does: a token bucket refilled at `rate` per second up to
 * `burst`, over the log's timestamps. One finding per episode of excess, completed with its extent when it ends,
 * so a flood is one line of output rather than thousands. Under a steady overload the bucket lets a frame through
 * now and then, so an episode ends only after a quiet second without excess.
 */
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

interface Bucket {
  tokens: number;
  lastTs: number;
  episode?: Episode;
}

export class RateLimitRule implements StatefulRule {
  private readonly buckets = new Map<number, Bucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  onFrame(frame: Frame, emit: Emit): boolean {
    if (!isInbound(frame)) return false;
    let bucket = this.buckets.get(frame.conn);
    if (!bucket) {
      bucket = { tokens: this.burst, lastTs: frame.ts };
      this.buckets.set(frame.conn, bucket);
    }
    // A timestamp going backwards (clock step) refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, frame.ts - bucket.lastTs);
    bucket.lastTs = Math.max(bucket.lastTs, frame.ts);
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.rate) / 1000);
    if (bucket.episode && frame.ts - bucket.episode.lastTs >= EPISODE_GAP_MS) {
      this.close(bucket.episode, frame.conn);
      delete bucket.episode;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return false;
    }
    // Over the limit: like the relay, an excess frame takes no token.
    if (bucket.episode) {
      bucket.episode.frames += 1;
      bucket.episode.lastLine = frame.line;
      bucket.episode.lastTs = frame.ts;
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
    bucket.episode = { violation, lastTs: frame.ts, firstLine: frame.line, lastLine: frame.line, frames: 1 };
    return true;
  }

  onEnd(): void {
    for (const [conn, bucket] of this.buckets) {
      if (bucket.episode) this.close(bucket.episode, conn);
    }
    this.buckets.clear();
  }

  private close(episode: Episode, conn: number): void {
    if (!episode.violation) return;
    const lines = episode.firstLine === episode.lastLine ? `line ${episode.firstLine}` : `lines ${episode.firstLine}-${episode.lastLine}`;
    const frames = episode.frames === 1 ? '1 frame' : `${episode.frames} frames`;
    episode.violation.message = `conn ${conn} sent faster than ${this.rate} msg/s (burst ${this.burst}): ${frames} over the limit on ${lines}`;
  }
}
