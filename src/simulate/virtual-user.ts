/**
 * One virtual phone: a `ws` client that speaks like the joystick page (connect on open, updates while the
 * finger moves, a zero update on release, delete when idle). Frames come from the protocol's serialisers;
 * updates from its UpdateFrameWriter, which concatenates around pre-built pieces: at tens of thousands of frames
 * per second JSON.stringify of a fresh object is the cost that matters.
 */
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { CLOSE, connectFrame, deleteFrame, PING, PONG, UpdateFrameWriter, userKey } from '../protocol/index.js';
import type { MotionParams } from './patterns.js';
import { hundredthsText, thousandthsText } from './number-text.js';
import { countSource, maskedTextFrame, MAX_RAW_PAYLOAD, rawSocket } from './raw-frame.js';
import type { SourceOptions } from './source-addresses.js';
import type { WsTlsOptions } from './client-tls.js';

export type UserState = 'pending' | 'connecting' | 'open' | 'closed';

/** Counters the pool aggregates; shared by all users of a pool so the hot path bumps one object. */
export interface WireCounters {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  connectFailures: number;
  closesByCode: Record<string, number>;
  relayErrors: Record<string, number>;
  /** Sockets opened, by the source address the kernel gave them (what the relay sees as the client). */
  opensBySource: Record<string, number>;
}

export interface UserEvents {
  onOpen(user: VirtualUser): void;
  onGone(user: VirtualUser): void;
}

/**
 * The client masks frames with an all-zero key: a valid mask the `ws` sender recognises and skips XOR-ing. It
 * saves the generator CPU only; the relay unmasks every frame exactly as it does for a phone.
 */
function zeroMask(mask: Uint8Array): void {
  mask[0] = 0;
  mask[1] = 0;
  mask[2] = 0;
  mask[3] = 0;
}

export class VirtualUser {
  state: UserState = 'pending';
  /** The handshake completed at some point. */
  opened = false;
  ws: WebSocket | undefined;
  /** The socket under `ws` for the fast path (raw-frame.ts); undefined → ws.send. */
  private socket: Duplex | undefined;
  /** Next update due, ms on the run clock (performance.now()). */
  nextDue = 0;
  /** Run-clock ms of the last movement (or of the connect). */
  lastMove = 0;
  wasMoving = false;
  idleDeleted = false;
  /** We closed the socket on purpose (churn, end of run). */
  leaving = false;
  seq = 0;
  /** The id's user key, what the ledger files it under. */
  readonly key: string;
  private readonly updates: UpdateFrameWriter;
  readonly connectFrame: string;
  readonly deleteFrame: string;

  constructor(
    readonly id: number,
    readonly params: MotionParams,
    /** Run-clock ms at which to open the socket. */
    readonly connectAt: number,
    /** Fraction of the send interval this user is offset by, so sends spread over ticks. */
    readonly phase: number,
    private readonly counters: WireCounters,
    /** The user's number in the crowd (ids are idBase + n); it picks the source address. */
    readonly n: number,
  ) {
    this.key = userKey(id);
    // The knob is rounded to hundredths and t to thousandths (patterns.ts, clock.ts): printed without V8's
    // general number printer.
    this.updates = new UpdateFrameWriter(id, hundredthsText, thousandthsText);
    this.connectFrame = connectFrame(id);
    this.deleteFrame = deleteFrame(id);
  }

  open(url: string, events: UserEvents, source: SourceOptions & WsTlsOptions): void {
    this.state = 'connecting';
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, generateMask: zeroMask, handshakeTimeout: 15_000, ...source });
    this.ws = ws;
    ws.on('open', () => {
      this.state = 'open';
      this.opened = true;
      this.socket = rawSocket(ws);
      countSource(this.counters.opensBySource, this.socket);
      events.onOpen(this);
    });
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('error', () => {
      if (this.state === 'connecting') this.counters.connectFailures++;
    });
    ws.on('close', (code) => {
      const wasLeaving = this.leaving;
      this.state = 'closed';
      if (!wasLeaving) {
        const key = String(code);
        this.counters.closesByCode[key] = (this.counters.closesByCode[key] ?? 0) + 1;
      }
      events.onGone(this);
    });
  }

  /** The page ignores what it does not understand; we answer keep-alives and count relay errors. */
  private onFrame(data: Buffer): void {
    this.counters.framesReceived++;
    if (data.length === PING.length && data.toString('latin1') === PING) {
      this.send(PONG);
      return;
    }
    // Cheap pre-check: in broadcast mode every other user's frames arrive here too.
    if (data.length < 600 && data.includes('"error"')) {
      try {
        const m = JSON.parse(data.toString('utf8')) as { type?: unknown; code?: unknown };
        if (m.type === 'error' && typeof m.code === 'string') {
          this.counters.relayErrors[m.code] = (this.counters.relayErrors[m.code] ?? 0) + 1;
        }
      } catch {
        // not JSON: nothing a phone would do with it
      }
    }
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  send(frame: string): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (this.socket && frame.length <= MAX_RAW_PAYLOAD) this.socket.write(maskedTextFrame(frame));
    else ws.send(frame);
    this.counters.framesSent++;
    this.counters.bytesSent += frame.length;
  }

  /** An update with seq and t; x, y, speed, angle rounded to hundredths, t to thousandths. Returns the seq used. */
  sendStamped(x: number, y: number, speed: number, angle: number, t: number): number {
    const seq = this.seq++;
    this.send(this.stampedFrame(x, y, speed, angle, seq, t));
    return seq;
  }

  /** The tutorial's update, nothing more. */
  sendLegacy(x: number, y: number, speed: number, angle: number): void {
    this.send(this.legacyFrame(x, y, speed, angle));
  }

  stampedFrame(x: number, y: number, speed: number, angle: number, seq: number, t: number): string {
    return this.updates.stamped(x, y, speed, angle, seq, t);
  }

  legacyFrame(x: number, y: number, speed: number, angle: number): string {
    return this.updates.plain(x, y, speed, angle);
  }

  /** Close as a tab does (going away): no delete, the relay must notice. */
  leave(code: number = CLOSE.goingAway): void {
    this.leaving = true;
    const ws = this.ws;
    if (!ws) {
      this.state = 'closed';
      return;
    }
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else if (ws.readyState === WebSocket.OPEN) ws.close(code, code === CLOSE.goingAway ? 'left' : 'simulation over');
  }
}
