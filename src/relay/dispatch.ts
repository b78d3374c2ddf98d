/**
 * What the relay does with each inbound frame: rate limit, validate, then act by role. Every refused frame
 * is counted by reason, logged with `drop`, and answered with a (throttled) error.
 *
 * Hot path (a controller's update): token bucket, `parse` (compiled validator), identity check, and the update
 * written again from its validated fields (its user's frame writer) for the sinks' queues: every sink gets the same
 * canonical text, whatever duplicate keys or spelling of the id the phone sent.
 */
import {
  CLOSE,
  parse,
  PONG,
  relayDeleteFrame,
  userKey,
  welcomeFrame,
  type ConnectMessage,
  type DeleteMessage,
  type DeleteReason,
  type ErrorCode,
  type HelloMessage,
  type ParseOptions,
  type UpdateMessage,
} from '../protocol/index.js';
import type { ClientRegistry } from './clients.js';
import type { Connection } from './connection.js';
import type { Identity, UserRecord } from './identity.js';
import type { Listening } from './listening.js';
import type { LogWriter } from './log-writer.js';
import type { RelayMetrics } from './metrics.js';
import type { RelayOptions } from './options.js';
import type { OscOut } from './osc-out.js';
import { OutQueue, type OutQueueContext } from './out-queue.js';
import type { Router } from './router.js';
import type { HelloVerdict, SinkGate } from './sink-gate.js';

type User = UserRecord<Connection>;

export interface RelayState {
  readonly options: RelayOptions;
  readonly metrics: RelayMetrics;
  readonly log: LogWriter | undefined;
  readonly identity: Identity<Connection>;
  readonly router: Router;
  readonly queueContext: OutQueueContext;
  readonly clients: ClientRegistry;
  readonly sinkGate: SinkGate;
  readonly listening: Listening;
  /** OSC targets (--osc): a sink for every user, over UDP. */
  readonly osc: OscOut | undefined;
  closing: boolean;
}

/** How long a taken-over socket may take to finish its close handshake before it is cut. */
const TAKEOVER_GRACE_MS = 2000;

export class Dispatcher {
  /** Built once: the hot path allocates no options object and no error text per frame. */
  private readonly parseOptions: Record<'unknown' | 'controller' | 'sink', ParseOptions>;
  private readonly rateMessage: string;

  constructor(private readonly s: RelayState) {
    const maxBytes = s.options.maxPayload;
    this.parseOptions = {
      unknown: { origin: 'any', maxBytes },
      controller: { origin: 'controller', maxBytes },
      sink: { origin: 'sink', maxBytes },
    };
    this.rateMessage = `more than ${s.options.rate} messages per second (burst ${s.options.burst})`;
  }

  onFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    const recvAt = performance.now();
    this.s.metrics.messagesIn++;
    if (isBinary) {
      this.drop(conn, 'binary', `<binary frame, ${data.length} bytes>`, 'binary frames are not part of the protocol; send JSON text', recvAt);
      return;
    }
    // `ws` has already checked that a text frame is valid UTF-8.
    const text = data.toString();
    if (conn.refused !== undefined) {
      this.drop(conn, conn.refused, text, 'this connection was refused', recvAt);
      return;
    }
    if (!conn.bucket.take(recvAt)) {
      this.drop(conn, 'rate_limited', text, this.rateMessage, recvAt);
      return;
    }
    const r = parse(text, this.parseOptions[conn.role]);
    if (!r.ok) {
      this.drop(conn, r.reason, text, r.message, recvAt);
      return;
    }
    switch (r.kind) {
      case 'update':
        if (conn.role === 'unknown' && !this.becomeController(conn, text, recvAt)) return;
        this.update(conn, r.message, text, recvAt);
        return;
      case 'connect':
        if (conn.role === 'unknown' && !this.becomeController(conn, text, recvAt)) return;
        this.connect(conn, r.message, text, recvAt);
        return;
      case 'delete':
        if (conn.role === 'unknown' && !this.becomeController(conn, text, recvAt)) return;
        this.remove(conn, r.message, text, recvAt);
        return;
      case 'hello':
        if (conn.role === 'unknown') this.hello(conn, r.message, text, recvAt);
        else this.accept(conn, text); // a repeated hello changes nothing
        return;
      case 'ping':
        this.accept(conn, text);
        conn.send(PONG);
        return;
      case 'pong':
        this.accept(conn, text);
        return;
      default:
        this.drop(conn, 'wrong_direction', text, `a client may not send "${r.kind}"`, recvAt);
    }
  }

  /** `ws` refused a frame itself (it then closes the connection). */
  onSocketError(conn: Connection, err: Error & { code?: string }): void {
    const reason: ErrorCode | undefined =
      err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too_large' : err.code === 'WS_ERR_INVALID_UTF8' ? 'not_utf8' : undefined;
    if (reason === undefined) return;
    this.s.metrics.messagesIn++;
    this.s.metrics.drop(reason);
    this.s.log?.write('in', conn.id, conn.role, `<${err.message}>`, false, reason);
  }

  onClose(conn: Connection): void {
    const s = this.s;
    s.clients.remove(conn);
    conn.out?.close();
    const user = s.identity.release(conn);
    if (user === undefined || !user.active) return;
    if (s.closing) s.identity.setActive(user, false);
    else this.userGone(conn, user, conn.timedOut ? 'timeout' : 'closed', -1);
  }

  private becomeController(conn: Connection, text: string, recvAt: number): boolean {
    const refusal = this.s.clients.becomeController(conn);
    if (refusal === undefined) return true;
    const o = this.s.options;
    const message =
      refusal === 'address_full'
        ? `too many phones from ${conn.address.ip} (--max-per-address ${o.maxPerAddress})`
        : `the relay is full (${o.maxControllers} controllers)`;
    this.refuse(conn, refusal, text, message, recvAt, CLOSE.tryAgainLater, 'relay is full, try again later');
    return false;
  }

  private connect(conn: Connection, msg: ConnectMessage, text: string, recvAt: number): void {
    const own = conn.user;
    if (own !== undefined) {
      if (own.key !== userKey(msg.sliderId)) return this.mismatch(conn, text, recvAt);
      this.accept(conn, text);
      if (!own.active) this.activate(own, recvAt);
      return;
    }
    const claim = this.s.identity.claim(conn, msg.sliderId, msg.resume);
    if (claim.kind === 'refused') return this.drop(conn, claim.code, text, claim.message, recvAt);
    this.accept(conn, text);
    this.welcome(conn, claim.user);
    if (claim.kind === 'resumed') {
      // The old socket (a phone that slept) must not speak for the id any more; sinks keep the row.
      const previous = claim.previous;
      previous.refused = 'id_taken';
      // A sleeping phone may never answer the close: free its controller slot now, and cut it if it stays mute.
      this.s.clients.releaseSlot(previous);
      previous.close(CLOSE.takenOver, 'id taken over by a resumed connection');
      setTimeout(() => previous.ws.terminate(), TAKEOVER_GRACE_MS).unref();
    }
    if (!claim.user.active) this.activate(claim.user, recvAt);
  }

  private update(conn: Connection, msg: UpdateMessage, text: string, recvAt: number): void {
    const own = conn.user;
    if (own !== undefined && own.active && msg.sliderId === own.id) {
      // The common case, without building the id's key: a live user moving its own knob.
      this.accept(conn, text);
      const canonical = own.updates.update(msg);
      own.updateText = canonical;
      this.s.router.forward(conn, own.key, 'update', canonical, recvAt);
      this.s.osc?.update(own.key, own.id, msg.x, msg.y, msg.speed, msg.angle);
      return;
    }
    const key = userKey(msg.sliderId);
    let user: User;
    if (own !== undefined) {
      if (own.key !== key) return this.mismatch(conn, text, recvAt);
      this.accept(conn, text);
      user = own;
    } else {
      // Tutorial pages send connect first, but an update alone claims the id too.
      const claim = this.s.identity.claim(conn, msg.sliderId, undefined);
      if (claim.kind === 'refused') return this.drop(conn, claim.code, text, claim.message, recvAt);
      this.accept(conn, text);
      user = claim.user;
      this.welcome(conn, user);
    }
    if (!user.active) this.activate(user, recvAt);
    const canonical = user.updates.update(msg);
    user.updateText = canonical;
    this.s.router.forward(conn, key, 'update', canonical, recvAt);
    this.s.osc?.update(key, user.id, msg.x, msg.y, msg.speed, msg.angle);
  }

  private remove(conn: Connection, msg: DeleteMessage, text: string, recvAt: number): void {
    const user = conn.user;
    if (user === undefined) return this.drop(conn, 'not_connected', text, 'send connect before delete', recvAt);
    if (user.key !== userKey(msg.sliderId)) return this.mismatch(conn, text, recvAt);
    this.accept(conn, text);
    // The connection keeps its id: the page sends delete after 10 s idle and updates again when touched.
    if (user.active) this.userGone(conn, user, 'client', recvAt);
  }

  private hello(conn: Connection, msg: HelloMessage, text: string, recvAt: number): void {
    const gate = this.s.sinkGate;
    const verdict = gate.admit(conn.address, msg.token, recvAt);
    if (!verdict.ok) return this.refuseHello(conn, verdict, text, recvAt);
    if (!this.s.clients.hasSinkRoom()) {
      this.s.metrics.helloRefused('full');
      const message = `the relay already has its ${this.s.options.maxSinks} sinks: close one, or start the relay with a larger --max-sinks`;
      return this.refuse(conn, 'too_many_sinks', text, message, recvAt, CLOSE.tryAgainLater, 'too many sinks, try again later');
    }
    const snapshot = gate.snapshot(conn.address, recvAt);
    if (!snapshot.ok) return this.refuseHello(conn, snapshot, text, recvAt);
    // Before logging, so the hello's log line names the role it established (as a first connect does).
    this.s.clients.becomeSink(conn);
    this.accept(conn, text);
    conn.out?.close();
    const out = new OutQueue(conn, this.s.queueContext, msg.batchHz);
    conn.out = out;
    // Snapshot: a restarted TouchDesigner gets a full table at once instead of waiting for phones to move.
    for (const user of this.s.identity.activeUsers()) {
      out.push(user.key, 'connect', user.connectText, -1);
      if (user.updateText !== undefined) out.push(user.key, 'update', user.updateText, -1);
    }
  }

  private welcome(conn: Connection, user: User): void {
    conn.send(welcomeFrame(user.id, user.token, user.hue));
    this.s.listening.welcomed(conn);
  }

  private activate(user: User, recvAt: number): void {
    this.s.identity.setActive(user, true);
    this.s.router.forward(user.owner, user.key, 'connect', user.connectText, recvAt);
    this.s.osc?.connect(user.key, user.id, user.hue);
  }

  private userGone(from: Connection, user: User, reason: DeleteReason, recvAt: number): void {
    this.s.identity.setActive(user, false);
    const text = relayDeleteFrame(user.id, reason);
    this.s.router.forward(from, user.key, 'delete', text, recvAt);
    this.s.osc?.remove(user.key, user.id, reason);
  }

  private mismatch(conn: Connection, text: string, recvAt: number): void {
    const id = conn.user === undefined ? undefined : JSON.stringify(conn.user.id);
    this.drop(conn, 'id_mismatch', text, `this connection speaks for id ${id} only`, recvAt);
  }

  private refuseHello(conn: Connection, v: Extract<HelloVerdict, { ok: false }>, text: string, recvAt: number): void {
    this.s.metrics.helloRefused(v.why);
    this.refuse(conn, v.code, text, v.message, recvAt, v.closeCode, v.closeReason);
  }

  /** Refuses the connection for good: the error goes out at once, then the close. */
  private refuse(conn: Connection, code: ErrorCode, text: string, message: string, recvAt: number, closeCode: number, reason: string): void {
    this.drop(conn, code, text, message, recvAt, true);
    conn.refused = code;
    conn.close(closeCode, reason);
  }

  private accept(conn: Connection, text: string): void {
    this.s.log?.write('in', conn.id, conn.role, text, true);
  }

  private drop(conn: Connection, reason: ErrorCode, text: string, message: string, recvAt: number, force = false): void {
    this.s.metrics.drop(reason);
    this.s.log?.write('in', conn.id, conn.role, text, false, reason);
    conn.sendError(reason, message, recvAt, force);
  }
}
