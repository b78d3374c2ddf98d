/**
 * One PUBLISH per instance per tick: a local user's frames wait here at most TICK_MS (or until MAX_LINES have
 * gathered) and go out together, in the order they happened. Redis delivers one connection's publishes in order,
 * so every instance sees each user's frames in order: a user's frames all leave from its home instance.
 *
 * While Redis is unreachable the lines are dropped (counted): local sinks have them already, and the other
 * instances are brought up to date by the full state every instance sends after a reconnect.
 */
import type { Redis } from 'ioredis';
import { encodeLine, header } from './bus-codec.js';
import { BUS_CHANNEL } from './keys.js';

export const TICK_MS = 5;
const MAX_LINES = 1024;

export class BusPublisher {
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly head: string;
  /** PUBLISH commands sent, frames they carried, frames dropped while Redis was down. */
  published = 0;
  framesOut = 0;
  framesDropped = 0;

  constructor(
    private readonly redis: Redis,
    instance: string,
    private readonly up: () => boolean,
  ) {
    this.head = header(instance);
  }

  push(op: string, key: string, text: string, extra?: string): void {
    this.lines.push(encodeLine(op, key, text, extra));
    if (this.lines.length >= MAX_LINES) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), TICK_MS);
    }
  }

  /** Sends what waits, then `extra` lines as a message of their own (keeps the order). */
  flush(extra?: string[]): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const batch of [this.lines, extra ?? []]) {
      if (batch.length === 0) continue;
      if (!this.up()) {
        this.framesDropped += batch.length;
        continue;
      }
      this.published++;
      this.framesOut += batch.length;
      this.redis.publish(BUS_CHANNEL, this.head + batch.join('')).catch(() => {
        this.framesDropped += batch.length;
      });
    }
    this.lines = [];
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lines = [];
  }
}
