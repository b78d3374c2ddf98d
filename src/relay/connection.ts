/**
 * One client connection: its role, the id it speaks for, its rate limit and presence flags, and the only
 * place frames are sent (so every frame out is counted and logged once).
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { errorFrame, TokenBucket, type ConnectionRole, type ErrorCode } from '../protocol/index.js';
import type { ClientAddress } from './client-address.js';
import type { IdHolder, UserRecord } from './identity.js';
import type { LogWriter } from './log-writer.js';
import type { RelayMetrics } from './metrics.js';
import type { BinaryOutlet } from './column-batch.js';
import type { SinkQueue } from './out-queue.js';

export interface ConnectionContext {
  readonly metrics: RelayMetrics;
  readonly log: LogWriter | undefined;
}

const ERROR_INTERVAL_MS = 1000;
/**
 * Corked bytes after which a long turn flushes early, so a busy turn's frames leave while the sink can already
 * read them. 16 KiB, not 64: at 2000 × 30 Hz on loopback, 64 KiB writes made runs stall for 200–400 ms (the
 * relay→sink socket showed retransmissions, with a 204 ms timeout) and coalesce; with 16 KiB the same runs kept
 * 100 % delivery (bench/RESULTS.md, findings).
 */
const FLUSH_BYTES = 16 * 1024;
/** WebSocket frame header of a small server frame (no mask). */
const FRAME_HEADER = 4;

export class Connection implements BinaryOutlet, IdHolder<Connection> {
  /** Set by the ClientRegistry only. */
  role: ConnectionRole = 'unknown';
  /** The id this connection claimed, set by Identity; it may speak for no other. */
  user: UserRecord<Connection> | undefined;
  /** Heartbeats seen while still 'unknown' (see Presence). */
  silentBeats = 0;
  /** Answered the last protocol ping. */
  alive = true;
  /** Terminated by the heartbeat: its user's delete says `timeout`. */
  timedOut = false;
  /** The code the relay closed this connection with, when the relay closed it (for /metrics). */
  closedWith: number | undefined;
  /** Why the connection was refused (bad token, relay full, id taken over): further frames are dropped with it. */
  refused: ErrorCode | undefined;
  /** Per-recipient queue: sinks always; in broadcast mode every client gets one on first delivery. */
  out: SinkQueue | undefined;
  readonly bucket: TokenBucket;
  private lastErrorAt = Number.NEGATIVE_INFINITY;
  private corked = false;
  /** Bytes handed to the corked socket since the last flush: on their way, not waiting on the peer. */
  private unflushed = 0;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    /** Where it comes from, as per-address limits count it. */
    readonly address: ClientAddress,
    private readonly ctx: ConnectionContext,
    rate: number,
    burst: number,
    now: number,
  ) {
    this.bucket = new TokenBucket(rate, burst, now);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Bytes the peer has not taken yet, for back-pressure decisions. Frames still corked in this turn are on their
   * way, not a sign of a slow peer: counting them would make a busy turn look like a stalled sink and trigger
   * coalescing for nothing.
   */
  get backlog(): number {
    const b = this.ws.bufferedAmount - this.unflushed;
    return b > 0 ? b : 0;
  }

  /** Sends a text frame the caller knows to be valid protocol (JSON or a bare keep-alive). */
  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.cork();
    this.ws.send(text);
    this.unflushed += text.length + FRAME_HEADER;
    if (this.unflushed >= FLUSH_BYTES) this.flush();
    this.ctx.metrics.messagesOut++;
    this.ctx.log?.write('out', this.id, this.role, text, true);
  }

  /** Sends a binary frame (a column batch to an f32-columns sink); logged as base64. */
  sendBinary(bytes: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.cork();
    this.ws.send(bytes, { binary: true });
    this.unflushed += bytes.byteLength + FRAME_HEADER;
    if (this.unflushed >= FLUSH_BYTES) this.flush();
    this.ctx.metrics.messagesOut++;
    this.ctx.log?.writeBinary(this.id, this.role, bytes);
  }

  /**
   * Frames sent during one event-loop turn leave in one write: `ws` corks and uncorks the socket around each
   * frame, which costs a writev per frame; an outer cork until the next turn turns hundreds of frames to a
   * sink into one syscall (this is most of the relay's CPU at 60k frames/s), for at most one turn of delay.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (socket === undefined) return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.unflushed = 0;
      socket.uncork();
    });
  }

  /** Mid-turn flush: hand what is corked to the kernel and stay corked for the rest of the turn. */
  private flush(): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    this.unflushed = 0;
    if (socket === undefined || !this.corked) return;
    socket.uncork();
    socket.cork();
  }

  /** Tells the client why a frame was refused, at most once per second (a flood must not become a reply flood). */
  sendError(code: ErrorCode, message: string, now: number, force = false): void {
    if (!force && now - this.lastErrorAt < ERROR_INTERVAL_MS) return;
    this.lastErrorAt = now;
    this.send(errorFrame(code, message));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.closedWith ??= code;
      this.ws.close(code, reason);
    }
  }
}
