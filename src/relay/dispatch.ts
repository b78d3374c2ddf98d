/**
 * What the relay does with each inbound frame: rate limit, validate, then act by role. Every refused frame
 * is counted by reason, logged with `drop`, and answered with a (throttled) error.
 *
 * Hot path (a controller's update): token bucket, `parse` (compiled validator), identity check, and the
 * original text handed to the sinks' queues; nothing is re-serialised.
 */
import {
  parse,
  type ConnectMessage,
  type DeleteMessage,
  type DeleteReason,
  type ErrorCode,
  type HelloMessage,
  type ParseOptions,
  type UpdateMessage,
} from '../protocol/index.js';
import type { Connection } from './connection.js';
import { Identity, sameSecret, userKey, type UserRecord } from './identity.js';
import type { LogWriter } from './log-writer.js';
import type { RelayMetrics } from './metrics.js';
import type { RelayOptions } from './options.js';
import type { OscOut } from './osc-out.js';
import type { Router } from './router.js';
import { OutQueue, type OutQueueContext } from './sink.js';

export interface RelayState {
  readonly options: RelayOptions;
  readonly metrics: RelayMetrics;
  readonly log: LogWriter | undefined;
  readonly identity: Identity;
  readonly router: Router;
  readonly queueContext: OutQueueContext;
  readonly clients: Set<Connection>;
  readonly controllers: Set<Connection>;
  readonly sinks: Set<Connection>;
  /** OSC targets (--osc): a sink for every user, over UDP. */
  osc: OscOut | undefined;
  closing: boolean;
}

/** How long a taken-over socket may take to finish its close handshake before it is cut. */
const TAKEOVER_GRACE_MS = 2000;

/** Close codes the relay uses. */
export const CLOSE = {
  goingAway: 1001,
  tooLarge: 1009,
  tryAgainLater: 1013,
  takenOver: 4000,
  unauthorized: 4001,
} as const;

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
        this.update(conn, r.message, text, recvAt, data);
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
        conn.send('pong');
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
    s.clients.delete(conn);
    s.controllers.delete(conn);
    s.sinks.delete(conn);
    conn.out?.close();
    const user = s.identity.release(conn);
    if (user === undefined || !user.active) return;
    if (s.closing) s.identity.setActive(user, false);
    else this.userGone(conn, user, conn.timedOut ? 'timeout' : 'closed', -1);
  }

  private becomeController(conn: Connection, text: string, recvAt: number): boolean {
    if (this.s.controllers.size >= this.s.options.maxControllers) {
      this.drop(conn, 'server_full', text, `the relay is full (${this.s.options.maxControllers} controllers)`, recvAt, true);
      conn.refused = 'server_full';
      conn.close(CLOSE.tryAgainLater, 'relay is full, try again later');
      return false;
    }
    conn.role = 'controller';
    this.s.controllers.add(conn);
    return true;
  }

  private connect(conn: Connection, msg: ConnectMessage, text: string, recvAt: number): void {
    const key = userKey(msg.sliderId);
    if (conn.userKey !== undefined) {
      if (conn.userKey !== key) return this.mismatch(conn, text, recvAt);
      this.accept(conn, text);
      const user = this.s.identity.get(key);
      if (user !== undefined && !user.active) this.activate(user, recvAt);
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
      this.s.controllers.delete(previous);
      previous.close(CLOSE.takenOver, 'id taken over by a resumed connection');
      setTimeout(() => previous.ws.terminate(), TAKEOVER_GRACE_MS).unref();
    }
    if (!claim.user.active) this.activate(claim.user, recvAt);
  }

  private update(conn: Connection, msg: UpdateMessage, text: string, recvAt: number, raw: Buffer): void {
    const own = conn.user;
    if (own !== undefined && own.active && msg.sliderId === own.id) {
      // The common case, without building the id's key: a live user moving its own knob.
      this.accept(conn, text);
      own.updateText = text;
      this.s.router.forward(conn, own.key, 'update', text, recvAt, raw);
      this.s.osc?.update(own.key, own.id, msg.x, msg.y, msg.speed, msg.angle);
      return;
    }
    const key = userKey(msg.sliderId);
    let user: UserRecord | undefined;
    if (conn.userKey === key) {
      this.accept(conn, text);
      user = this.s.identity.get(key);
      if (user === undefined) return;
    } else if (conn.userKey !== undefined) {
      return this.mismatch(conn, text, recvAt);
    } else {
      // Tutorial pages send connect first, but an update alone claims the id too.
      const claim = this.s.identity.claim(conn, msg.sliderId, undefined);
      if (claim.kind === 'refused') return this.drop(conn, claim.code, text, claim.message, recvAt);
      this.accept(conn, text);
      user = claim.user;
      this.welcome(conn, user);
    }
    if (!user.active) this.activate(user, recvAt);
    user.updateText = text;
    this.s.router.forward(conn, key, 'update', text, recvAt, raw);
    this.s.osc?.update(key, user.id, msg.x, msg.y, msg.speed, msg.angle);
  }

  private remove(conn: Connection, msg: DeleteMessage, text: string, recvAt: number): void {
    if (conn.userKey === undefined) return this.drop(conn, 'not_connected', text, 'send connect before delete', recvAt);
    if (conn.userKey !== userKey(msg.sliderId)) return this.mismatch(conn, text, recvAt);
    this.accept(conn, text);
    const user = this.s.identity.get(conn.userKey);
    // The connection keeps its id: the page sends delete after 10 s idle and updates again when touched.
    if (user !== undefined && user.active) this.userGone(conn, user, 'client', recvAt);
  }

  private hello(conn: Connection, msg: HelloMessage, text: string, recvAt: number): void {
    const token = this.s.options.sinkToken;
    if (token !== undefined && (msg.token === undefined || !sameSecret(msg.token, token))) {
      this.drop(conn, 'unauthorized', text, msg.token === undefined ? 'this relay needs a token in hello' : 'wrong sink token', recvAt, true);
      conn.refused = 'unauthorized';
      conn.close(CLOSE.unauthorized, 'unauthorized');
      return;
    }
    conn.role = 'sink'; // before logging, so the hello's log line names the role it established (as a first connect does)
    this.accept(conn, text);
    this.s.sinks.add(conn);
    conn.out?.close();
    const out = new OutQueue(conn, this.s.queueContext, msg.batchHz);
    conn.out = out;
    // Snapshot: a restarted TouchDesigner gets a full table at once instead of waiting for phones to move.
    for (const user of this.s.identity.activeUsers()) {
      out.push(user.key, 'connect', user.connectText, -1);
      if (user.updateText !== undefined) out.push(user.key, 'update', user.updateText, -1);
    }
  }

  private welcome(conn: Connection, user: UserRecord): void {
    conn.send(JSON.stringify({ type: 'welcome', sliderId: user.id, resume: user.token }));
  }

  private activate(user: UserRecord, recvAt: number): void {
    this.s.identity.setActive(user, true);
    this.s.router.forward(user.owner, user.key, 'connect', user.connectText, recvAt);
    this.s.osc?.connect(user.key, user.id);
  }

  private userGone(from: Connection, user: UserRecord, reason: DeleteReason, recvAt: number): void {
    this.s.identity.setActive(user, false);
    const text = JSON.stringify({ type: 'delete', sliderId: user.id, reason });
    this.s.router.forward(from, user.key, 'delete', text, recvAt);
    this.s.osc?.remove(user.key, user.id, reason);
  }

  private mismatch(conn: Connection, text: string, recvAt: number): void {
    const held = conn.userKey === undefined ? undefined : this.s.identity.get(conn.userKey);
    const id = held === undefined ? conn.userKey : JSON.stringify(held.id);
    this.drop(conn, 'id_mismatch', text, `this connection speaks for id ${id} only`, recvAt);
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
