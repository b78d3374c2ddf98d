/**
 * Whether anyone receives the phones' updates, and telling the phones. Route mode: an admitted sink. Broadcast
 * mode: any client that is not a phone (the tutorial's TouchDesigner patch listens without a hello), or only
 * admitted sinks when a sink token is set.
 *
 * Phones (route mode only; broadcast mode keeps the tutorial relay's frames) get
 * `{"type":"status","listening":BOOL}` when this changes, and `false` right after their welcome while no sink
 * is there, so the page can say "connected · waiting for the show" instead of "live". A sink that flaps must not
 * become a storm of frames to every phone: changes go out at most once a second, the latest state only.
 */
import { statusFrame } from '../protocol/index.js';
import type { ClientRegistry } from './clients.js';
import type { Connection } from './connection.js';
import type { RelayMode } from './options.js';

const MIN_NOTICE_INTERVAL_MS = 1000;

export class Listening {
  /** The state the phones were last told (true: what a phone assumes on connecting). */
  private told = true;
  /** A phone was welcomed with a state other than `told`: the next change goes to every phone regardless. */
  private mixed = false;
  private lastNoticeAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly clients: ClientRegistry,
    private readonly mode: RelayMode,
    private readonly requireHello: boolean,
    /** OSC targets (--osc): fixed at start, each a sink for every update. */
    private readonly oscTargets = 0,
    /** relay --redis: sinks on the other instances, which receive this instance's phones too. */
    private readonly elsewhere: () => number = () => 0,
  ) {}

  /** Connections and OSC targets that receive the phones' updates (relay --redis: on any instance). */
  receivers(): number {
    return this.localReceivers() + this.elsewhere();
  }

  /** Receivers on this instance only (what the other instances count as this one's sinks). */
  localReceivers(): number {
    const c = this.clients.counts();
    if (this.mode === 'route' || this.requireHello) return c.sink + this.oscTargets;
    return c.sink + c.unknown + this.oscTargets;
  }

  get now(): boolean {
    return this.receivers() > 0;
  }

  /** A phone was just welcomed: tell it when nobody is listening (it assumes somebody is). */
  welcomed(conn: Connection): void {
    if (this.mode !== 'route' || this.now) return;
    conn.send(statusFrame(false));
    if (this.told) this.mixed = true;
  }

  /** Sinks came or went: tell the phones if that changed what they were told, at most once a second. */
  changed(): void {
    if (this.mode !== 'route' || this.timer !== undefined || this.stopped) return;
    const wait = this.lastNoticeAt + MIN_NOTICE_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.notify();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.notify();
    }, wait);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private notify(): void {
    const now = this.now;
    if (now === this.told && !this.mixed) return;
    this.told = now;
    this.mixed = false;
    this.lastNoticeAt = performance.now();
    const frame = statusFrame(now);
    for (const c of this.clients.all) if (c.role === 'controller' && c.refused === undefined) c.send(frame);
  }
}
