/**
 * Presence: a WebSocket-level ping every heartbeat; a connection that has not answered the previous ping by
 * the next tick is terminated (its user's delete then says `timeout`), so a dead client is gone within two
 * intervals. Plus the tutorial relay's bare "ping" text frames.
 */
import { PING } from '../protocol/index.js';
import type { Connection } from './connection.js';

export class Presence {
  private heartbeat: NodeJS.Timeout | undefined;
  private textPing: NodeJS.Timeout | undefined;

  constructor(
    private readonly clients: ReadonlySet<Connection>,
    private readonly heartbeatMs: number,
    private readonly textPingMs: number,
  ) {}

  start(): void {
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    this.textPing = setInterval(() => this.pingText(), this.textPingMs);
    this.textPing.unref();
  }

  stop(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.textPing);
  }

  private beat(): void {
    for (const c of this.clients) {
      if (!c.isOpen) continue;
      if (!c.alive) {
        c.timedOut = true;
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private pingText(): void {
    for (const c of this.clients) if (c.refused === undefined) c.send(PING);
  }
}
