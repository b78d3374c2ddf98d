/**
 * The built-in measuring sink: connects like TouchDesigner would (hello first, unless --legacy), validates every
 * frame it receives against the protocol, and measures delivery, duplicates, order, latency and presence for
 * the simulator's own ids. Frames about ids the simulator does not own (real phones on the same relay) are
 * counted as foreign and otherwise ignored. Users are told apart by user key (5 and "5" are one user).
 * With `encoding: 'f32-columns'` it asks for column batches and measures from their rows (seq, t0 + dt), the
 * joins and leaves read through the protocol's ColumnReader; problems it counts appear under `invalid`.
 */
import WebSocket from 'ws';
import {
  CLOSE,
  ColumnReader,
  helloFrame,
  parse,
  PONG,
  userKey,
  type ColumnFrame,
  type Encoding,
  type SliderId,
  type SinkBoundMessage,
  type UpdateMessage,
} from '../protocol/index.js';
import { wsTlsOptions, type ClientTls } from './client-tls.js';
import { AdmissionError } from './errors.js';
import { nowMs } from './clock.js';
import type { SentLedger } from './sent-ledger.js';
import { valueKey } from './sent-ledger.js';
import { InstanceTally } from './instances.js';
import { PerSecond } from './series.js';
import { LatencyStats, type LatencyBin, type LatencySummary, type SecondLatency } from './stats.js';

export interface SinkConfig {
  url: string;
  token: string | undefined;
  batchHz: number | undefined;
  /** 'f32-columns' (needs batchHz): binary column batches; default JSON. */
  encoding?: Encoding | undefined;
  /** Tutorial format: no hello, updates carry no seq/t (recognised through the ledger instead). */
  legacy: boolean;
  ledger: SentLedger;
  /** An id outside the ledger whose frames are reported to `onProbe` (admission check). */
  probeId: SliderId | undefined;
  onProbe?: (() => void) | undefined;
  /** Probes through the other instances (admit.ts): id → called when a frame about it arrives. */
  instanceProbes?: Map<string, () => void> | undefined;
  /** Several relay instances: which one a user key's phone is on (-1: none of ours), and how many there are. */
  instances?: { count: number; of: (key: string) => number } | undefined;
  /** How a wss:// relay's certificate is checked. */
  tls?: ClientTls | undefined;
}

/** What the sink measured, as the report reads it. */
export interface SinkSummary {
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  latency: LatencySummary;
  bins: LatencyBin[];
  framesReceived: number;
  /** Frames received in second s of the run. */
  framesAt: (s: number) => number;
  /** Distinct updates delivered that were sent in second s. */
  deliveredAt: (s: number) => number;
  /** Latency of the updates received in second s (undefined: nothing received then). */
  latencyAt: (s: number) => SecondLatency | undefined;
  unmatched: number;
  foreign: number;
  connects: number;
  /** Connects that carried the phone's hue (relays that give phones a colour; validated by the schema). */
  connectsWithHue: number;
  deletes: Record<string, number>;
  invalid: Record<string, number>;
  relayErrors: Record<string, number>;
  closed: { code: number; reason: string } | undefined;
  /** With several instances: delivered and latency per instance (index in --url order). */
  perInstance?: Array<{ delivered: number; latency: LatencySummary }> | undefined;
}

const SINK_MAX_BYTES = 64 * 1024 * 1024;

/** Sequence window per user for telling a duplicate from a late arrival; older seqs count as out of order. */
const WINDOW = 4096;
const WINDOW_WORDS = WINDOW / 32;

interface Track {
  /** The id as the sink first received it. */
  id: SliderId;
  live: boolean;
  maxSeq: number;
  seen: Uint32Array;
  /** The relay instance the phone is on (instances.ts), looked up once per user. */
  instance: number;
}

export class MeasuringSink {
  readonly latency = new LatencyStats();
  framesReceived = 0;
  /** Updates about our ids, counting duplicates. */
  updatesReceived = 0;
  /** Distinct updates about our ids (no duplicates). */
  delivered = 0;
  duplicates = 0;
  outOfOrder = 0;
  /** Matched mode: updates whose values match nothing the simulator sent (a duplicate, or altered values). */
  unmatched = 0;
  foreign = 0;
  connects = 0;
  connectsWithHue = 0;
  readonly deletes: Record<string, number> = {};
  readonly invalid: Record<string, number> = {};
  readonly relayErrors: Record<string, number> = {};
  /** Frames received, by second of receipt. */
  framesPerSecond = new PerSecond();
  /** Distinct updates delivered, by second they were sent in (so the ratio per second compares like with like). */
  readonly deliveredPerSecond = new PerSecond();
  /**
   * Latency of the updates received in each second of the run (by receipt, not by send second: an interval is
   * closed when the first frame of a later second arrives, so each holds exactly the samples received in it).
   */
  readonly latencyPerSecond: Array<SecondLatency | undefined> = [];
  private latencySecond = -1;
  /** The relay acknowledged f32-columns. */
  acknowledged = false;
  /** Index table and counted problems of f32-columns (unused for JSON). */
  private readonly columns = new ColumnReader((problem) => {
    const key = `columns_${problem}`;
    this.invalid[key] = (this.invalid[key] ?? 0) + 1;
  });
  /** Set when the relay closed the sink's socket (not when we did). */
  closed: { code: number; reason: string } | undefined;
  lastFrameAt = 0;
  private closing = false;
  private markClosed!: (c: { code: number; reason: string }) => void;
  /** Settles when the relay closes the sink's socket (never when we close it). */
  readonly whenClosedByRelay = new Promise<{ code: number; reason: string }>((resolve) => (this.markClosed = resolve));

  private ws: WebSocket | undefined;
  /** By user key. */
  private readonly tracks = new Map<string, Track>();
  private readonly probeKey: string | undefined;
  /** Only with several instances: one instance's totals are the run's. */
  private readonly tally: InstanceTally | undefined;
  constructor(private readonly config: SinkConfig) {
    this.probeKey = config.probeId === undefined ? undefined : userKey(config.probeId);
    this.tally = config.instances && config.instances.count > 1 ? new InstanceTally(config.instances.count) : undefined;
  }

  private get startMs(): number {
    return this.config.ledger.startMs;
  }

  /** Opens the socket and says hello; resolves once the hello is on its way. */
  connect(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.config.url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, ...wsTlsOptions(this.config.tls) });
      this.ws = ws;
      ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
      ws.once('open', () => {
        if (!this.config.legacy) ws.send(helloFrame({ token: this.config.token, batchHz: this.config.batchHz, encoding: this.config.encoding }));
        resolve();
      });
      ws.once('error', (err) => reject(new AdmissionError(`sink could not connect to ${this.config.url}: ${err.message}`)));
      ws.on('close', (code, reason) => {
        if (!this.closing) {
          this.closed = { code, reason: reason.toString() };
          this.markClosed(this.closed);
        }
      });
    });
  }

  close(): Promise<void> {
    const ws = this.ws;
    this.closing = true;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(CLOSE.normal, 'simulation over');
    });
  }

  /** The send phase begins: frames so far (the admission probe's) are not part of the measurement. */
  startMeasuring(): void {
    this.framesReceived = 0;
    this.framesPerSecond = new PerSecond();
    this.latency.intervalSummary();
    this.latencySecond = 0;
  }

  /** Closes the second still open in latencyPerSecond; call once receiving is over. */
  finishLatencySeries(): void {
    this.closeLatencySecond(this.latencySecond + 1);
  }

  private closeLatencySecond(next: number): void {
    if (this.latencySecond >= 0) this.latencyPerSecond[this.latencySecond] = this.latency.intervalSummary();
    this.latencySecond = next;
  }

  /** The measurement, for the report: take it once the sink is closed, so nothing changes under it. */
  summary(): SinkSummary {
    return {
      delivered: this.delivered,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      latency: this.latency.summary(),
      bins: this.latency.bins(),
      framesReceived: this.framesReceived,
      framesAt: (s) => this.framesPerSecond.at(s),
      deliveredAt: (s) => this.deliveredPerSecond.at(s),
      latencyAt: (s) => this.latencyPerSecond[s],
      unmatched: this.unmatched,
      foreign: this.foreign,
      connects: this.connects,
      connectsWithHue: this.connectsWithHue,
      deletes: this.deletes,
      invalid: this.invalid,
      relayErrors: this.relayErrors,
      closed: this.closed,
      perInstance: this.tally?.summary(),
    };
  }

  /** Our ids the sink currently shows as present, one per user. */
  liveIds(): SliderId[] {
    const out: SliderId[] = [];
    for (const t of this.tracks.values()) if (t.live) out.push(t.id);
    return out;
  }

  /** Highest seq received for the user with this key. */
  maxSeq(key: string): number {
    return this.tracks.get(key)?.maxSeq ?? -1;
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const now = nowMs();
    this.framesReceived++;
    this.lastFrameAt = now;
    const second = (now - this.startMs) / 1000;
    this.framesPerSecond.add(second);
    if (second >= this.latencySecond + 1 && this.latencySecond >= 0) this.closeLatencySecond(Math.floor(second));
    if (isBinary && this.acknowledged) {
      this.columns.read(data, (id, frame, row) => this.onRow(id, frame, row, now));
      return;
    }
    // Batches hold one update per user, so they outgrow the 1 KiB a controller frame may have.
    const r = parse(data, { origin: this.config.legacy ? 'any' : 'relay', binary: isBinary, maxBytes: SINK_MAX_BYTES });
    if (!r.ok) {
      this.invalid[r.reason] = (this.invalid[r.reason] ?? 0) + 1;
      return;
    }
    switch (r.kind) {
      case 'ping':
        this.ws?.send(PONG);
        return;
      case 'pong':
        return;
      case 'batch':
        for (const m of r.message.messages) this.onMessage(m as SinkBoundMessage, now);
        return;
      case 'connect':
      case 'relayConnect':
      case 'relayDelete':
        if (this.acknowledged && r.kind !== 'connect') {
          const m = r.message;
          if (r.kind === 'relayConnect') this.columns.join(m.index, m.sliderId);
          else this.columns.leave(m.index, m.sliderId);
        }
        this.onMessage(r.message as SinkBoundMessage, now);
        return;
      case 'update':
      case 'delete':
        this.onMessage(r.message as SinkBoundMessage, now);
        return;
      case 'error':
        this.relayErrors[r.message.code] = (this.relayErrors[r.message.code] ?? 0) + 1;
        return;
      case 'encoding':
        this.acknowledged = true;
        return;
      default:
        this.invalid.unexpected = (this.invalid.unexpected ?? 0) + 1;
    }
  }

  private onMessage(m: SinkBoundMessage | { type: 'delete'; sliderId: SliderId }, now: number): void {
    if (m.type === 'batch' || m.type === 'encoding') return;
    const id = m.sliderId;
    const key = userKey(id);
    if (key === this.probeKey) {
      this.config.onProbe?.();
      return;
    }
    const instanceProbe = this.config.instanceProbes?.get(key);
    if (instanceProbe) {
      instanceProbe();
      return;
    }
    if (!this.config.ledger.isOurs(key)) {
      this.foreign++;
      return;
    }
    const track = this.track(key, id);
    if (m.type === 'connect') {
      this.connects++;
      if ('hue' in m && m.hue !== undefined) this.connectsWithHue++;
      track.live = true;
    } else if (m.type === 'delete') {
      const reason = 'reason' in m && typeof m.reason === 'string' ? m.reason : 'plain';
      this.deletes[reason] = (this.deletes[reason] ?? 0) + 1;
      track.live = false;
    } else {
      track.live = true;
      this.onUpdate(m, key, track, now);
    }
  }

  /** One row of a column batch: an update whose seq and t come from the seq and dt columns. */
  private onRow(id: SliderId, f: ColumnFrame, row: number, now: number): void {
    const key = userKey(id);
    if (key === this.probeKey) {
      this.config.onProbe?.();
      return;
    }
    if (!this.config.ledger.isOurs(key)) {
      this.foreign++;
      return;
    }
    const track = this.track(key, id);
    track.live = true;
    this.updatesReceived++;
    const seq = f.seq?.[row] ?? NaN;
    const dt = f.dt?.[row] ?? NaN;
    if (Number.isNaN(seq) || Number.isNaN(dt)) {
      this.invalid.unstamped = (this.invalid.unstamped ?? 0) + 1;
      return;
    }
    this.measure(track, seq, f.t0 + dt, now);
  }

  private onUpdate(m: UpdateMessage, key: string, track: Track, now: number): void {
    this.updatesReceived++;
    let seq: number;
    let sentAt: number;
    if (this.config.ledger.matched) {
      const rec = this.config.ledger.match(key, valueKey(m.x, m.y, m.speed, m.angle, m.seq));
      if (!rec) {
        this.unmatched++;
        return;
      }
      seq = rec.seq;
      sentAt = rec.t;
    } else {
      if (m.seq === undefined || m.t === undefined) {
        this.invalid.unstamped = (this.invalid.unstamped ?? 0) + 1;
        return;
      }
      seq = m.seq;
      sentAt = m.t;
    }
    this.measure(track, seq, sentAt, now);
  }

  private measure(track: Track, seq: number, sentAt: number, now: number): void {
    if (!this.accept(track, seq)) {
      this.duplicates++;
      return;
    }
    this.delivered++;
    this.deliveredPerSecond.add((sentAt - this.startMs) / 1000);
    this.latency.record(now - sentAt);
    this.tally?.record(track.instance, now - sentAt);
  }

  /** Marks `seq` seen; false when it was seen before (a duplicate). Counts late arrivals as out of order. */
  private accept(track: Track, seq: number): boolean {
    const seen = track.seen;
    if (seq > track.maxSeq) {
      const gap = seq - track.maxSeq;
      if (gap >= WINDOW || track.maxSeq < 0) seen.fill(0);
      else for (let s = track.maxSeq + 1; s < seq; s++) seen[(s & (WINDOW - 1)) >>> 5]! &= ~(1 << (s & 31));
      seen[(seq & (WINDOW - 1)) >>> 5]! |= 1 << (seq & 31);
      track.maxSeq = seq;
      return true;
    }
    if (track.maxSeq - seq >= WINDOW) {
      // Too old to remember: it is late for sure; whether it is also a duplicate cannot be known.
      this.outOfOrder++;
      return true;
    }
    const word = (seq & (WINDOW - 1)) >>> 5;
    const bit = 1 << (seq & 31);
    if ((seen[word]! & bit) !== 0) return false;
    seen[word]! |= bit;
    this.outOfOrder++;
    return true;
  }

  private track(key: string, id: SliderId): Track {
    let t = this.tracks.get(key);
    if (!t) {
      t = { id, live: false, maxSeq: -1, seen: new Uint32Array(WINDOW_WORDS), instance: this.tally ? this.config.instances!.of(key) : 0 };
      this.tracks.set(key, t);
    }
    return t;
  }
}
