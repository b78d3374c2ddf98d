/**
 * `--replay FILE.jsonl`: play back the controller frames a relay logged (src/protocol/log.ts envelope), one
 * socket per original connection, each frame at its original offset divided by `--speed`. Payloads go out
 * exactly as recorded, malformed ones included, so a field incident can be reproduced against a fixed relay.
 *
 * What the sink should receive: valid updates for the id their connection claimed first, excluding frames the
 * recording relay dropped (it would drop them again). Recorded frames carry no usable stamp, so the sink
 * recognises them through the ledger's value lookup.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { wsTlsOptions, type ClientTls } from './client-tls.js';
import { check, CLOSE, isLogEntry, PING, PONG, userKey, type SliderId } from '../protocol/index.js';
import { nowMs, stampMs } from './clock.js';
import { ReplayError } from './errors.js';
import type { SentLedger } from './sent-ledger.js';
import { valueKey } from './sent-ledger.js';
import { measureBacklog, type Backlog } from './self-monitor.js';
import { countSource, rawSocket } from './raw-frame.js';
import { closedOrTerminated } from './socket-close.js';
import { instanceOf, type Target } from './instances.js';
import { sourceFor } from './source-addresses.js';
import { emptyCounters, type PoolCounters } from './user-pool.js';

export interface ReplayFrame {
  /** Offset from the start of the replay, ms, already divided by the speed factor. */
  atMs: number;
  text: string;
  kind: 'connect' | 'update' | 'delete' | 'other';
  /** For connect/update/delete: the id the frame speaks for. */
  id?: SliderId;
  /** For updates the sink should see: the value key (sent-ledger.ts). */
  expectKey?: string;
}

export interface ReplayConnection {
  conn: number;
  /** The id this connection claimed first, if any. */
  id: SliderId | undefined;
  frames: ReplayFrame[];
}

export interface ReplayPlan {
  connections: ReplayConnection[];
  frames: number;
  /** Offset of the last frame, ms (after the speed factor). */
  durationMs: number;
  skipped: { outbound: number; notController: number; keepAlive: number; plainLines: number };
}

export function readReplayFile(path: string, speed: number): ReplayPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReplayError(`--replay: cannot read ${path}: ${(err as Error).message}`);
  }
  return planReplay(text, speed, path);
}

/** Turn a relay log into per-connection frame schedules. Throws ReplayError when nothing can be replayed. */
export function planReplay(text: string, speed: number, name = 'log'): ReplayPlan {
  const skipped = { outbound: 0, notController: 0, keepAlive: 0, plainLines: 0 };
  const sinkConns = new Set<number>();
  const inbound: { line: number; ts: number; conn: number; msg: unknown; dropped: boolean }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ReplayError(`${name}:${i + 1}: not JSON (${(err as Error).message}); --replay needs a relay log (tdcrowd relay --log)`);
    }
    if (!isLogEntry(value) || typeof value.ts !== 'number' || typeof value.conn !== 'number') {
      skipped.plainLines++;
      continue;
    }
    if (value.role === 'sink') sinkConns.add(value.conn);
    if (value.dir !== 'in') {
      skipped.outbound++;
      continue;
    }
    inbound.push({ line: i + 1, ts: value.ts, conn: value.conn, msg: value.msg, dropped: value.drop !== undefined });
  }
  if (inbound.length === 0) {
    throw new ReplayError(
      skipped.plainLines > 0
        ? `${name}: no relay log entries ({"ts","dir","conn","role","msg"}); plain JSONL has no timing to replay`
        : `${name}: no inbound frames to replay`,
    );
  }

  inbound.sort((a, b) => a.ts - b.ts || a.line - b.line);
  const byConn = new Map<number, ReplayConnection>();
  let t0: number | undefined;
  let frames = 0;
  let last = 0;
  for (const e of inbound) {
    if (sinkConns.has(e.conn)) {
      skipped.notController++;
      continue;
    }
    if (e.msg === PING || e.msg === PONG) {
      skipped.keepAlive++;
      continue;
    }
    t0 ??= e.ts;
    const atMs = (e.ts - t0) / speed;
    let c = byConn.get(e.conn);
    if (!c) {
      c = { conn: e.conn, id: undefined, frames: [] };
      byConn.set(e.conn, c);
    }
    c.frames.push(classify(e.msg, atMs, c, e.dropped));
    frames++;
    last = atMs;
  }
  if (frames === 0) throw new ReplayError(`${name}: the log holds no controller frames to replay`);
  return { connections: [...byConn.values()], frames, durationMs: last, skipped };
}

function classify(msg: unknown, atMs: number, c: ReplayConnection, dropped: boolean): ReplayFrame {
  const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { atMs, text, kind: 'other' };
  const r = check(msg as Record<string, unknown>, 'controller');
  if (!r.ok) return { atMs, text, kind: 'other' };
  if (r.kind === 'connect' || r.kind === 'update' || r.kind === 'delete') {
    const id = r.message.sliderId;
    if (c.id === undefined && r.kind !== 'delete' && !dropped) c.id = id;
    const frame: ReplayFrame = { atMs, text, kind: r.kind, id };
    if (r.kind === 'update' && c.id !== undefined && userKey(id) === userKey(c.id) && !dropped) {
      const m = r.message;
      frame.expectKey = valueKey(m.x, m.y, m.speed, m.angle, m.seq);
    }
    return frame;
  }
  return { atMs, text, kind: 'other' };
}

/** Connections open this long before their first frame, so the handshake does not delay it. */
const LEAD_MS = 500;

interface Player {
  /** Position in the plan: picks the source address. */
  n: number;
  plan: ReplayConnection;
  ws: WebSocket | undefined;
  next: number;
  state: 'pending' | 'connecting' | 'open' | 'closed';
}

export interface ReplayTiming {
  /** How late frames went out relative to their scheduled time, ms. */
  maxLateMs: number;
  meanLateMs: number;
  /** Frames never sent (their connection failed or was closed by the relay). */
  unsent: number;
}

/** Plays a plan on the same tick as the crowd generator; counts into the same counters. */
export class ReplayRunner {
  readonly counters: PoolCounters = emptyCounters();
  private readonly players: Player[];
  /** Latest connection to claim each id, by user key: only its close means the id is gone. */
  private readonly holder = new Map<string, Player>();
  private startMs = 0;
  private openCount = 0;
  private lateSum = 0;
  private lateCount = 0;
  private lateMax = 0;
  private stopped = false;

  constructor(
    readonly plan: ReplayPlan,
    /** Relay instances; recorded connection n plays to targets[n mod K] (instances.ts). */
    private readonly targets: Target[],
    private readonly ledger: SentLedger,
    /** Frames due after this offset (ms) are not played (--duration). */
    private readonly untilMs = Number.POSITIVE_INFINITY,
    private readonly tls: ClientTls | undefined = undefined,
  ) {
    this.players = plan.connections.map((c, n) => ({ n, plan: c, ws: undefined, next: 0, state: 'pending' }));
    for (const c of plan.connections) if (c.id !== undefined) ledger.own(userKey(c.id));
  }

  get connected(): number {
    return this.openCount;
  }

  /** Offset of the last frame plus the lead, ms: how long the replay runs. */
  get lengthMs(): number {
    return LEAD_MS + Math.min(this.plan.durationMs, this.untilMs);
  }

  /** True once every connection has played its frames (or failed) and closed. */
  get finished(): boolean {
    return this.players.every((p) => p.state === 'closed');
  }

  start(startMs: number): void {
    this.startMs = startMs;
  }

  tick(now: number): void {
    if (this.stopped) return;
    const offset = now - this.startMs - LEAD_MS;
    for (const p of this.players) {
      if (p.state === 'pending') {
        const first = p.plan.frames[0];
        if (first === undefined || first.atMs > this.untilMs) p.state = 'closed';
        else if (offset >= first.atMs - LEAD_MS) this.open(p);
        continue;
      }
      if (p.state !== 'open') continue;
      const frames = p.plan.frames;
      while (p.next < frames.length) {
        const f = frames[p.next]!;
        if (f.atMs > offset) break;
        p.next++;
        if (f.atMs > this.untilMs) continue;
        this.send(p, f, offset - f.atMs);
      }
      if (p.next >= frames.length) this.finish(p, CLOSE.normal);
    }
  }

  private open(p: Player): void {
    p.state = 'connecting';
    const target = this.targets[instanceOf(p.n, this.targets.length)]!;
    const source = target.sources ? sourceFor(target.sources, p.n) : {};
    const ws = new WebSocket(target.url, { perMessageDeflate: false, skipUTF8Validation: true, ...source, ...wsTlsOptions(this.tls) });
    p.ws = ws;
    ws.on('open', () => {
      p.state = 'open';
      this.openCount++;
      countSource(this.counters.opensBySource, rawSocket(ws));
    });
    ws.on('message', (data: Buffer) => {
      this.counters.framesReceived++;
      if (data.length === 4 && data.toString('latin1') === PING) ws.send(PONG);
    });
    ws.on('error', () => {
      if (p.state === 'connecting') this.counters.connectFailures++;
    });
    ws.on('close', (code) => {
      if (p.state === 'open') this.openCount--;
      if (p.next < p.plan.frames.length) {
        const key = String(code);
        this.counters.closesByCode[key] = (this.counters.closesByCode[key] ?? 0) + 1;
      }
      p.state = 'closed';
      const id = p.plan.id;
      if (id !== undefined && this.holder.get(userKey(id)) === p) this.ledger.setLive(userKey(id), false);
    });
  }

  private send(p: Player, f: ReplayFrame, lateMs: number): void {
    const ws = p.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    this.counters.scheduled++;
    this.lateSum += lateMs;
    this.lateCount++;
    if (lateMs > this.lateMax) this.lateMax = lateMs;
    ws.send(f.text);
    this.counters.framesSent++;
    this.counters.bytesSent += f.text.length;
    const own = p.plan.id === undefined ? undefined : userKey(p.plan.id);
    const key = f.id === undefined ? undefined : userKey(f.id);
    if (key !== undefined && key === own) {
      if (f.kind === 'connect') {
        this.counters.connectsSent++;
        this.holder.set(key, p);
        this.ledger.setLive(key, true);
      } else if (f.kind === 'delete') {
        this.ledger.setLive(key, false);
      } else if (f.kind === 'update') {
        this.holder.set(key, p);
        this.counters.updatesSent++;
        if (f.expectKey !== undefined) {
          this.ledger.sentUpdate(key, stampMs(nowMs()), undefined, f.expectKey);
          // Per instance, like the ledger: only the updates the sink is owed.
          const i = instanceOf(p.n, this.targets.length);
          this.counters.updatesByInstance[i] = (this.counters.updatesByInstance[i] ?? 0) + 1;
        }
      }
    }
  }

  private finish(p: Player, code: number): void {
    const ws = p.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.close(code, 'replay over');
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  }

  timing(): ReplayTiming {
    let unsent = 0;
    for (const p of this.players) {
      for (let i = p.next; i < p.plan.frames.length; i++) if (p.plan.frames[i]!.atMs <= this.untilMs) unsent++;
    }
    return {
      maxLateMs: Math.round(this.lateMax * 1000) / 1000,
      meanLateMs: this.lateCount > 0 ? Math.round((this.lateSum / this.lateCount) * 1000) / 1000 : 0,
      unsent,
    };
  }

  backlog(): Backlog {
    return measureBacklog(this.players.map((p) => p.ws?.bufferedAmount ?? 0));
  }

  stop(): void {
    this.stopped = true;
  }

  async closeAll(timeoutMs = 3000): Promise<void> {
    this.stopped = true;
    const waits: Promise<void>[] = [];
    for (const p of this.players) {
      const ws = p.ws;
      if (!ws || p.state === 'closed' || ws.readyState === WebSocket.CLOSED) continue;
      waits.push(closedOrTerminated(ws, timeoutMs));
      this.finish(p, CLOSE.normal);
    }
    await Promise.all(waits);
  }
}

/** Which instance a user key's phone is on, for the sink: the one of the recorded connection that claimed it first. */
export function replayInstanceResolver(plan: ReplayPlan, count: number): (key: string) => number {
  const byKey = new Map<string, number>();
  plan.connections.forEach((c, n) => {
    if (c.id === undefined) return;
    const key = userKey(c.id);
    if (!byKey.has(key)) byKey.set(key, instanceOf(n, count));
  });
  return (key) => byKey.get(key) ?? -1;
}
