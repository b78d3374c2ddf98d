/**
 * Watches the simulator itself: a latency number is only about the relay if the generator and the sink kept
 * up. Event-loop lag (perf_hooks) delays both sending and the sink's receive timestamps; CPU near one full core
 * means a single-threaded process is saturated; a growing send buffer means the sockets could not drain.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

export interface Backlog {
  maxBytes: number;
  totalBytes: number;
}

/** Largest and total of the send buffers given (bytes). */
export function measureBacklog(buffered: Iterable<number>): Backlog {
  let max = 0;
  let total = 0;
  for (const b of buffered) {
    total += b;
    if (b > max) max = b;
  }
  return { maxBytes: max, totalBytes: total };
}

export interface SelfReport {
  eventLoopLagMs: { p50: number; p99: number; max: number; mean: number };
  cpu: { userMs: number; systemMs: number; percentOfCore: number };
  backlog: { maxSocketBytes: number; maxTotalBytes: number };
  maxRssMb: number;
  wallMs: number;
}

/** The delay histogram samples a timer of this period and records the whole period: subtract it to get lag. */
const RESOLUTION_MS = 10;

export class SelfMonitor {
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  private wallStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private maxSocketBytes = 0;
  private maxTotalBytes = 0;
  private maxRss = 0;
  /** CPU percent of one core over the last sample (for the progress line). */
  recentCpu = 0;
  private lastCpu: NodeJS.CpuUsage = this.cpuStart;
  private lastWall = 0;

  constructor(private readonly backlog: () => Backlog) {}

  start(): void {
    this.lag.enable();
    this.cpuStart = process.cpuUsage();
    this.lastCpu = this.cpuStart;
    this.wallStart = performance.now();
    this.lastWall = this.wallStart;
    this.timer = setInterval(() => this.sample(), 500);
    this.timer.unref();
  }

  private sample(): void {
    const b = this.backlog();
    if (b.maxBytes > this.maxSocketBytes) this.maxSocketBytes = b.maxBytes;
    if (b.totalBytes > this.maxTotalBytes) this.maxTotalBytes = b.totalBytes;
    const rss = process.memoryUsage.rss();
    if (rss > this.maxRss) this.maxRss = rss;
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const wall = now - this.lastWall;
    if (wall > 0) this.recentCpu = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    this.lastCpu = process.cpuUsage();
    this.lastWall = now;
  }

  /** Event-loop lag p99 so far, ms. */
  lagP99Ms(): number {
    return this.lag.count > 0 ? Math.max(0, this.lag.percentile(99) / 1e6 - RESOLUTION_MS) : 0;
  }

  stop(): SelfReport {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.lag.disable();
    const cpu = process.cpuUsage(this.cpuStart);
    const wallMs = performance.now() - this.wallStart;
    const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e3 - RESOLUTION_MS * 1e3) / 1e3);
    const has = this.lag.count > 0;
    return {
      eventLoopLagMs: {
        p50: has ? ms(this.lag.percentile(50)) : 0,
        p99: has ? ms(this.lag.percentile(99)) : 0,
        max: has ? ms(this.lag.max) : 0,
        mean: has ? ms(this.lag.mean) : 0,
      },
      cpu: {
        userMs: Math.round(cpu.user / 1000),
        systemMs: Math.round(cpu.system / 1000),
        percentOfCore: wallMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10 : 0,
      },
      backlog: { maxSocketBytes: this.maxSocketBytes, maxTotalBytes: this.maxTotalBytes },
      maxRssMb: Math.round(this.maxRss / 1048576),
      wallMs: Math.round(wallMs),
    };
  }
}
