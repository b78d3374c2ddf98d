/**
 * The crowd: N virtual users driven by one tick (see scheduler.ts). Each tick walks the users once and sends
 * what is due by the clock — a user's k-th update is due at a fixed time, so a late tick catches up instead of
 * drifting, and what cannot be caught up is counted as missed rather than silently lost.
 */
import { performance } from 'node:perf_hooks';
import { CLOSE } from '../protocol/index.js';
import { createRng, knobAt, motionParams, toWire, type Knob, type PatternName, type WireValues } from './patterns.js';
import { nowMs, stampMs } from './clock.js';
import type { SentLedger } from './sent-ledger.js';
import { valueKey } from './sent-ledger.js';
import { measureBacklog, type Backlog } from './self-monitor.js';
import { closedOrTerminated } from './socket-close.js';
import { instanceOf, type Target } from './instances.js';
import { sourceFor } from './source-addresses.js';
import { wsTlsOptions, type ClientTls } from './client-tls.js';
import { VirtualUser, type UserEvents, type WireCounters } from './virtual-user.js';

export interface PoolConfig {
  /** Relay instances; user n connects to targets[n mod K] (instances.ts). */
  targets: Target[];
  users: number;
  rate: number;
  rampS: number;
  pattern: PatternName;
  churnPerMin: number;
  idleDelete: boolean;
  idleAfterS: number;
  seed: number;
  idBase: number;
  legacy: boolean;
  tickMs: number;
  /** Work one pass over the crowd may take before it stops for the next tick (default: tickMs). */
  passBudgetMs?: number;
  ledger: LedgerWriter;
  /** With --threads, each thread's pool takes users offset, offset+stride, offset+2·stride, ... */
  userOffset?: number;
  userStride?: number;
  /** Users across all threads (for the ramp position). */
  totalUsers?: number;
  /** How a wss:// relay's certificate is checked. */
  tls?: ClientTls;
}

/** What the pool tells the ledger; a worker thread records it for the main thread instead. */
export type LedgerWriter = Pick<SentLedger, 'own' | 'setLive' | 'sentUpdate'>;

/** Connections allowed to be mid-handshake at once, so a 5000-user start does not stampede the relay. */
const MAX_CONNECTING = 256;
/** A socket with more than this queued is not fed: the backlog is reported instead of growing without bound. */
const BACKLOG_BYTES = 256 * 1024;

export interface PoolCounters extends WireCounters {
  /** Updates due by the clock while users were moving (plus zero updates on release). */
  scheduled: number;
  /** Updates actually sent. */
  updatesSent: number;
  /** Due but not sent: the tick came too late to catch up, or the socket's send buffer was full. */
  missedLate: number;
  missedBacklog: number;
  connectsSent: number;
  idleDeletes: number;
  leaves: number;
  joins: number;
  /** Passes over the crowd stopped at their time budget (the rest went out on the next tick). */
  ticksCut: number;
  /** Updates sent to each relay instance (index in --url order). */
  updatesByInstance: number[];
}

/** Fresh zeroed counters (each pool, replay and thread sum starts from one). */
export function emptyCounters(): PoolCounters {
  return {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    connectFailures: 0,
    closesByCode: {},
    relayErrors: {},
    opensBySource: {},
    scheduled: 0,
    updatesSent: 0,
    missedLate: 0,
    missedBacklog: 0,
    connectsSent: 0,
    idleDeletes: 0,
    leaves: 0,
    joins: 0,
    ticksCut: 0,
    updatesByInstance: [],
  };
}

export class UserPool implements UserEvents {
  readonly counters: PoolCounters = emptyCounters();
  /** Active slots; a churned user's slot is taken by its replacement. */
  private readonly slots: VirtualUser[] = [];
  private readonly all: VirtualUser[] = [];
  private readonly interval: number;
  private readonly maxPerTick: number;
  private readonly idleAfterMs: number;
  private readonly rng: () => number;
  private readonly knob: Knob = { x: 0, y: 0, moving: false };
  private readonly wire: WireValues = { x: 0, y: 0, speed: 0, angle: 0 };
  private nextUser = 0;
  private readonly offset: number;
  private readonly stride: number;
  private connecting = 0;
  private openCount = 0;
  private stopped = false;
  private startMs = 0;

  constructor(private readonly config: PoolConfig) {
    this.interval = 1000 / config.rate;
    // Catch up at most two ticks' worth per user per tick: a stall is reported, not replayed as a flood.
    this.maxPerTick = Math.max(2, 2 * Math.ceil((config.rate * config.tickMs) / 1000));
    this.idleAfterMs = config.idleAfterS * 1000;
    this.offset = config.userOffset ?? 0;
    this.stride = config.userStride ?? 1;
    this.rng = createRng((config.seed ^ 0x2545f491 ^ Math.imul(this.offset, 0x9e3779b1)) >>> 0);
  }

  get connected(): number {
    return this.openCount;
  }

  /** Creates the users; sockets open from the first tick on, spread over the ramp. */
  start(startMs = performance.now()): void {
    this.startMs = startMs;
    const rampMs = this.config.rampS * 1000;
    const total = this.config.totalUsers ?? this.config.users;
    for (let i = 0; i < this.config.users; i++) {
      const n = this.offset + this.stride * i;
      this.slots.push(this.createUser(startMs + (rampMs * n) / total));
    }
  }

  private createUser(connectAt: number): VirtualUser {
    const n = this.offset + this.stride * this.nextUser++;
    const id = this.config.idBase + n;
    const u = new VirtualUser(id, motionParams(this.config.seed, n), connectAt, this.rng(), this.counters, n);
    this.config.ledger.own(u.key);
    this.all.push(u);
    return u;
  }

  onOpen(u: VirtualUser): void {
    this.connecting--;
    this.openCount++;
    if (this.stopped) {
      u.leave(CLOSE.normal);
      return;
    }
    u.send(u.connectFrame);
    this.counters.connectsSent++;
    this.config.ledger.setLive(u.key, true);
    const now = performance.now();
    u.lastMove = now;
    u.nextDue = now + u.phase * this.interval;
  }

  onGone(u: VirtualUser): void {
    if (u.opened) this.openCount--;
    else this.connecting--;
    // Whoever closed it, the relay owes the sink a delete for this id now.
    this.config.ledger.setLive(u.key, false);
  }

  /**
   * One pass over the crowd at run-clock time `now` (performance.now() ms), for at most one tick interval of
   * work. A pass that runs out of time stops where it is and the next tick resumes from there: after a stall
   * every user is due twice, and sending all of that in one go blocked the loop for 40–70 ms at 2000 users, so
   * the sink in this same process read the relay's frames that much late and the latency it measured was the
   * simulator's own. Nothing is dropped by the cut: the users not reached are still due at the next tick, which
   * sends what they owe up to the usual catch-up cap (beyond it, updates count as missed).
   */
  tick(now: number): void {
    if (this.stopped) return;
    const runS = (now - this.startMs) / 1000;
    if (this.config.churnPerMin > 0) this.churn(runS, now);
    const slots = this.slots;
    const n = slots.length;
    const deadline = performance.now() + (this.config.passBudgetMs ?? this.config.tickMs);
    let i = this.cursor < n ? this.cursor : 0;
    for (let visited = 0; visited < n; visited++) {
      const u = slots[i]!;
      if (u.state === 'open') {
        if (now >= u.nextDue) this.due(u, now, runS);
      } else if (u.state === 'pending' && now >= u.connectAt && this.connecting < MAX_CONNECTING) {
        this.connecting++;
        const target = this.config.targets[instanceOf(u.n, this.config.targets.length)]!;
        u.open(target.url, this, { ...(target.sources ? sourceFor(target.sources, u.n) : {}), ...wsTlsOptions(this.config.tls) });
      }
      if (++i === n) i = 0;
      if ((visited & 31) === 31 && performance.now() >= deadline) {
        this.counters.ticksCut++;
        break;
      }
    }
    this.cursor = i;
  }

  /** Where the next pass starts (a pass cut short resumes here). */
  private cursor = 0;

  private due(u: VirtualUser, now: number, runS: number): void {
    const due = Math.floor((now - u.nextDue) / this.interval) + 1;
    u.nextDue += due * this.interval;
    const k = knobAt(this.config.pattern, u.params, runS, this.knob);
    const c = this.counters;
    if (k.moving) {
      c.scheduled += due;
      if (u.idleDeleted) {
        // Moving again after an idle delete: announce ourselves again before the updates.
        u.idleDeleted = false;
        u.send(u.connectFrame);
        c.connectsSent++;
        this.config.ledger.setLive(u.key, true);
      }
      u.lastMove = now;
      u.wasMoving = true;
      if (u.bufferedAmount > BACKLOG_BYTES) {
        c.missedBacklog += due;
        return;
      }
      const n = due < this.maxPerTick ? due : this.maxPerTick;
      c.missedLate += due - n;
      const w = toWire(k, this.wire);
      for (let j = 0; j < n; j++) this.sendUpdate(u, w.x, w.y, w.speed, w.angle);
    } else if (u.wasMoving) {
      // Release: the page sends one zero update as the knob springs back.
      u.wasMoving = false;
      u.lastMove = now;
      c.scheduled++;
      this.sendUpdate(u, 0, 0, 0, 0);
    } else if (this.config.idleDelete && !u.idleDeleted && now - u.lastMove >= this.idleAfterMs) {
      u.idleDeleted = true;
      u.send(u.deleteFrame);
      c.idleDeletes++;
      this.config.ledger.setLive(u.key, false);
    }
  }

  private sendUpdate(u: VirtualUser, x: number, y: number, speed: number, angle: number): void {
    const t = stampMs(nowMs());
    const byInstance = this.counters.updatesByInstance;
    const i = instanceOf(u.n, this.config.targets.length);
    byInstance[i] = (byInstance[i] ?? 0) + 1;
    if (this.config.legacy) {
      u.sendLegacy(x, y, speed, angle);
      this.config.ledger.sentUpdate(u.key, t, undefined, valueKey(x, y, speed, angle));
    } else {
      const seq = u.sendStamped(x, y, speed, angle, t);
      this.config.ledger.sentUpdate(u.key, t, seq);
    }
    this.counters.updatesSent++;
  }

  /** Leaves due by the clock: a random open user closes its tab; a new user takes its slot at once. */
  private leavesDone = 0;
  private churn(runS: number, now: number): void {
    const dueLeaves = Math.floor((runS / 60) * this.config.churnPerMin);
    while (this.leavesDone < dueLeaves) {
      this.leavesDone++;
      const open: number[] = [];
      for (let i = 0; i < this.slots.length; i++) if (this.slots[i]!.state === 'open') open.push(i);
      if (open.length === 0) return;
      const slot = open[Math.floor(this.rng() * open.length)]!;
      this.slots[slot]!.leave(CLOSE.goingAway);
      this.config.ledger.setLive(this.slots[slot]!.key, false);
      this.counters.leaves++;
      this.slots[slot] = this.createUser(now);
      this.counters.joins++;
    }
  }

  /** Largest and total send buffer across sockets, bytes. */
  backlog(): Backlog {
    return measureBacklog(this.slots.map((u) => u.bufferedAmount));
  }

  /** Stop sending; sockets stay open (so the sink's view of who is present can be checked). */
  stop(): void {
    this.stopped = true;
  }

  /** Close every socket (normal closure) and wait for the closes, terminating stragglers. */
  async closeAll(timeoutMs = 3000): Promise<void> {
    this.stopped = true;
    const waits: Promise<void>[] = [];
    for (const u of this.all) {
      const ws = u.ws;
      if (!ws || u.state === 'closed') continue;
      waits.push(closedOrTerminated(ws, timeoutMs));
      u.leave(CLOSE.normal);
    }
    await Promise.all(waits);
  }
}
