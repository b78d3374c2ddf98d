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
  encodingFrame,
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
import type { Cluster, SharedClaim } from './cluster/index.js';
import type { Connection } from './connection.js';
import { newResumeToken, type Identity, type UserRecord } from './identity.js';
import type { Listening } from './listening.js';
import type { LogWriter } from './log-writer.js';
import type { RelayMetrics } from './metrics.js';
import type { RelayOptions } from './options.js';
import type { OscOut } from './osc-out.js';
import { ColumnBatch } from './column-batch.js';
import { OutQueue, type OutQueueContext, type SinkQueue } from './out-queue.js';
import type { Router } from './router.js';
import { goldenHue, hueInConnect } from './hue.js';
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
  /** The other instances (relay --redis); LocalCluster otherwise. */
  readonly cluster: Cluster;
  closing: boolean;
}

/** How long a taken-over socket may take to finish its close handshake before it is cut. */
const TAKEOVER_GRACE_MS = 2000;

export class Dispatcher {
  /** Built once: the hot path allocates no options object and no error text per frame. */
  private readonly parseOptions: Record<'unknown' | 'controller' | 'sink', ParseOptions>;
  private readonly rateMessage: string;
  /** relay --redis: ids are claimed through Redis when no local connection holds them. */
  private readonly shared: boolean;
  /** relay --redis: frames that arrived while their connection's claim was with Redis, replayed after it. */
  private readonly waiting = new WeakMap<Connection, Array<[Buffer, boolean]>>();
  /**
   * relay --redis: the resume token of a connect refused while Redis was unreachable. The page does not send its
   * connect again, but keeps moving: its next update claims the id with this token.
   */
  private readonly resumeLater = new WeakMap<Connection, string>();

  constructor(private readonly s: RelayState) {
    this.shared = s.cluster.shared;
    const maxBytes = s.options.maxPayload;
    this.parseOptions = {
      unknown: { origin: 'any', maxBytes },
      controller: { origin: 'controller', maxBytes },
      sink: { origin: 'sink', maxBytes },
    };
    this.rateMessage = `more than ${s.options.rate} messages per second (burst ${s.options.burst})`;
  }

  onFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (this.shared) {
      const held = this.waiting.get(conn);
      if (held !== undefined) return this.hold(conn, held, data, isBinary);
    }
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
    if (user === undefined) return;
    if (s.closing) {
      // relay --redis: the id stays this instance's in Redis, so the phone can resume it on another instance.
      if (user.active) s.identity.setActive(user, false);
      return;
    }
    const reason = conn.timedOut ? 'timeout' : 'closed';
    if (!this.shared) {
      if (user.active) this.userGone(conn, user, reason, -1);
      return;
    }
    // The phone may have resumed on another instance already: the delete goes out only if the id was still ours.
    void s.cluster.release(user.key).then((mine) => {
      if (!user.active) return;
      if (mine) this.userGone(conn, user, reason, -1);
      else s.identity.setActive(user, false);
    });
  }

  /**
   * relay --redis: another instance resumed this id. The local socket is closed as after a local take-over, and
   * the sinks keep the row. Returns what they had for the user.
   */
  takenAway(key: string): { id: UserRecord<Connection>['id']; active: boolean; connectText: string; updateText: string | undefined } | undefined {
    const user = this.s.identity.get(key);
    if (user === undefined) return undefined;
    const was = { id: user.id, active: user.active, connectText: user.connectText, updateText: user.updateText };
    this.s.identity.forget(key);
    this.retire(user.owner);
    return was;
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
    if (this.shared && this.s.identity.get(userKey(msg.sliderId)) === undefined) return this.claimShared(conn, msg.sliderId, msg.resume, text, recvAt, undefined);
    const claim = this.s.identity.claim(conn, msg.sliderId, msg.resume);
    if (claim.kind === 'refused') return this.drop(conn, claim.code, text, claim.message, recvAt);
    this.accept(conn, text);
    this.welcome(conn, claim.user);
    if (claim.kind === 'resumed') {
      this.retire(claim.previous);
      if (this.shared) this.s.cluster.tokenChanged(claim.user.key, claim.user.token);
    }
    if (!claim.user.active) this.activate(claim.user, recvAt);
  }

  /** The old socket of a resumed id (a phone that slept) must not speak for it any more; sinks keep the row. */
  private retire(previous: Connection): void {
    previous.refused = 'id_taken';
    // A sleeping phone may never answer the close: free its controller slot now, and cut it if it stays mute.
    this.s.clients.releaseSlot(previous);
    previous.close(CLOSE.takenOver, 'id taken over by a resumed connection');
    setTimeout(() => previous.ws.terminate(), TAKEOVER_GRACE_MS).unref();
  }

  /**
   * relay --redis: no local connection holds the id, so Redis decides. The connection's next frames wait (up to
   * its burst) until the answer, then run in order.
   */
  private claimShared(conn: Connection, id: UpdateMessage['sliderId'], resume: string | undefined, text: string, recvAt: number, update: UpdateMessage | undefined): void {
    const held: Array<[Buffer, boolean]> = [];
    this.waiting.set(conn, held);
    const token = newResumeToken();
    const key = userKey(id);
    const settle = (claim: SharedClaim, hue?: number): void => {
      this.waiting.delete(conn);
      this.sharedClaimed(conn, id, resume, key, token, claim, text, recvAt, update, hue);
      for (const [data, isBinary] of held) this.onFrame(conn, data, isBinary);
    };
    this.s.cluster.claim(key, id, resume, token).then(
      (claim) => (claim.kind === 'refused' ? settle(claim) : this.sharedHue(claim).then((hue) => settle(claim, hue))),
      (err: Error) => settle({ kind: 'refused', code: 'unavailable', message: `the relay cannot check ids right now: ${err.message}` }),
    );
  }

  /**
   * The hue of an id the cluster granted: the one it had on the instance it resumed from, else the next of the
   * cluster's one counter, so recent joins stay apart across instances (undefined: this instance's own counter).
   */
  private async sharedHue(claim: Exclude<SharedClaim, { kind: 'refused' }>): Promise<number | undefined> {
    const had = claim.kind === 'resumed' && claim.user !== undefined ? hueInConnect(claim.user.connectText) : undefined;
    if (had !== undefined) return had;
    try {
      return goldenHue((await this.s.cluster.counter('hue')) - 1);
    } catch {
      return undefined;
    }
  }

  private sharedClaimed(
    conn: Connection,
    id: UpdateMessage['sliderId'],
    resume: string | undefined,
    key: string,
    token: string,
    claim: SharedClaim,
    text: string,
    recvAt: number,
    update: UpdateMessage | undefined,
    hue?: number,
  ): void {
    if (claim.kind === 'refused') {
      if (claim.code === 'unavailable' && resume !== undefined) this.resumeLater.set(conn, resume);
      return this.drop(conn, claim.code, text, claim.message, recvAt);
    }
    this.resumeLater.delete(conn);
    if (!conn.isOpen || conn.refused !== undefined || conn.user !== undefined || this.s.closing || this.s.identity.get(key) !== undefined) {
      // Gone (or claimed locally) while Redis answered: the id goes back.
      void this.s.cluster.release(key);
      if (conn.isOpen && conn.refused === undefined) this.drop(conn, 'id_taken', text, `id ${JSON.stringify(id)} is in use by another connection`, recvAt);
      return;
    }
    const user = this.s.identity.adopt(conn, id, token, claim.kind === 'resumed' ? claim.user : undefined, hue);
    this.accept(conn, text);
    this.welcome(conn, user);
    if (!user.active) this.activate(user, recvAt);
    if (update !== undefined) this.moved(conn, user, update, recvAt);
  }

  private hold(conn: Connection, held: Array<[Buffer, boolean]>, data: Buffer, isBinary: boolean): void {
    if (held.length < this.s.options.burst) {
      held.push([data, isBinary]);
      return;
    }
    this.s.metrics.messagesIn++;
    this.drop(conn, 'rate_limited', isBinary ? `<binary frame, ${data.length} bytes>` : data.toString(), this.rateMessage, performance.now());
  }

  private update(conn: Connection, msg: UpdateMessage, text: string, recvAt: number): void {
    const own = conn.user;
    if (own !== undefined && own.active && msg.sliderId === own.id) {
      // The common case, without building the id's key: a live user moving its own knob.
      this.accept(conn, text);
      const canonical = own.updates.update(msg);
      own.updateText = canonical;
      own.update = msg;
      this.s.router.forward(conn, own.key, 'update', canonical, recvAt, msg);
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
      if (this.shared && this.s.identity.get(key) === undefined) return this.claimShared(conn, msg.sliderId, this.resumeLater.get(conn), text, recvAt, msg);
      const claim = this.s.identity.claim(conn, msg.sliderId, undefined);
      if (claim.kind === 'refused') return this.drop(conn, claim.code, text, claim.message, recvAt);
      this.accept(conn, text);
      user = claim.user;
      this.welcome(conn, user);
    }
    if (!user.active) this.activate(user, recvAt);
    this.moved(conn, user, msg, recvAt);
  }

  /** An update of an active user, to the sinks. */
  private moved(conn: Connection, user: User, msg: UpdateMessage, recvAt: number): void {
    const canonical = user.updates.update(msg);
    user.updateText = canonical;
    user.update = msg;
    this.s.router.forward(conn, user.key, 'update', canonical, recvAt, msg);
    this.s.osc?.update(user.key, user.id, msg.x, msg.y, msg.speed, msg.angle);
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
    let out: SinkQueue;
    if (msg.encoding === 'f32-columns') {
      // The schema admits f32-columns only with batchHz.
      out = new ColumnBatch(conn, this.s.queueContext, msg.batchHz!);
      conn.send(encodingFrame());
    } else {
      out = new OutQueue(conn, this.s.queueContext, msg.batchHz);
    }
    conn.out = out;
    // Snapshot: a restarted TouchDesigner gets a full table at once instead of waiting for phones to move.
    for (const user of this.s.identity.activeUsers()) {
      out.push(user.key, 'connect', user.connectText, -1);
      if (user.updateText !== undefined) out.push(user.key, 'update', user.updateText, -1, user.update);
    }
    // relay --redis: the other instances' users too (none otherwise).
    for (const user of this.s.cluster.remoteUsers()) {
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
