/**
 * Presence: a WebSocket-level ping every heartbeat; a connection that has not answered the previous ping by
 * the next tick is terminated (its user's delete then says `timeout`), so a dead client is gone within two
 * intervals. Plus the tutorial relay's bare "ping" text frames.
 */
import { CLOSE, PING } from '../protocol/index.js';
import type { ClientRegistry } from './clients.js';
import type { Connection } from './connection.js';

/**
 * Route mode only: heartbeats a connection may stay silent (neither hello nor connect) before it is closed.
 * It would receive nothing anyway, and silent sockets are the cheapest way to exhaust a relay. Broadcast mode
 * keeps them: the tutorial's TouchDesigner patch listens without ever speaking.
 */
export const IDENTIFY_BEATS = 3;

export class Presence {
  private heartbeat: NodeJS.Timeout | undefined;
  private textPing: NodeJS.Timeout | undefined;

  constructor(
    private readonly clients: ClientRegistry,
    private readonly heartbeatMs: number,
    private readonly textPingMs: number,
    /** Called for each silent connection closed; undefined keeps silent connections (broadcast mode). */
    private readonly onUnidentified?: (c: Connection) => void,
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
    for (const c of this.clients.all) {
      if (!c.isOpen) continue;
      if (!c.alive) {
        c.timedOut = true;
        c.ws.terminate();
        continue;
      }
      if (this.onUnidentified !== undefined && c.role === 'unknown' && ++c.silentBeats >= IDENTIFY_BEATS) {
        this.onUnidentified(c);
        c.close(CLOSE.unidentified, 'say hello (sink) or connect (phone) first');
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private pingText(): void {
    for (const c of this.clients.all) if (c.refused === undefined) c.send(PING);
  }
}
