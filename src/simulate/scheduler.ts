/**
 * One timer for the whole crowd. Tick k is due at start + k·tickMs (computed, never accumulated, so it does not
 * drift); a tick that runs late is counted, and ticks missed during a stall are skipped — the work they would
 * have done is found by the next tick, because what is due is computed from the clock.
 */
import { performance } from 'node:perf_hooks';

export interface TickStats {
  ticks: number;
  /** Ticks that started more than one tick interval after they were due. */
  lateTicks: number;
  /** Ticks skipped entirely because the loop was busy for longer than an interval. */
  skippedTicks: number;
  maxLateMs: number;
}

export class TickScheduler {
  readonly stats: TickStats = { ticks: 0, lateTicks: 0, skippedTicks: 0, maxLateMs: 0 };
  private startMs = 0;
  private k = 0;
  private timer: NodeJS.Timeout | undefined;
  private active = false;

  get running(): boolean {
    return this.active;
  }

  constructor(
    private readonly tickMs: number,
    private readonly onTick: (now: number) => void,
  ) {}

  start(startMs = performance.now()): void {
    this.startMs = startMs;
    this.k = 0;
    this.active = true;
    this.run();
  }

  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly run = (): void => {
    if (!this.active) return;
    const now = performance.now();
    const late = now - (this.startMs + this.k * this.tickMs);
    const s = this.stats;
    if (late > s.maxLateMs) s.maxLateMs = late;
    if (late > this.tickMs) {
      s.lateTicks++;
      const current = Math.floor((now - this.startMs) / this.tickMs);
      s.skippedTicks += current - this.k;
      this.k = current;
    }
    s.ticks++;
    this.onTick(now);
    this.k++;
    if (!this.active) return;
    const delay = this.startMs + this.k * this.tickMs - performance.now();
    this.timer = setTimeout(this.run, delay > 0 ? delay : 0);
  };
}
