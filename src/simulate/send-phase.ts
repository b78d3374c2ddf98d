/**
 * The send phase: one tick drives the whole crowd until the clock (or the replay) says stop, or Ctrl-C ends it
 * early; a progress line on stderr meanwhile. The sink starts measuring at its first tick, so what the
 * admission probe stirred up is not counted.
 */
import { performance } from 'node:perf_hooks';
import { nowMs } from './clock.js';
import type { Crowd } from './crowd.js';
import type { MeasuringSink } from './measuring-sink.js';
import type { SimulateOptions } from './options.js';
import { createProgress } from './progress.js';
import { TickScheduler, type TickStats } from './scheduler.js';
import type { SelfMonitor } from './self-monitor.js';
import type { SentLedger } from './sent-ledger.js';

/** A replay ends when every connection has played out; this slack only guards against a relay that never lets go. */
const REPLAY_SLACK_MS = 10_000;
const PROGRESS_MS = 250;

export interface SendPhaseIo {
  stderr: NodeJS.WriteStream;
  /** Ends the phase early; the run still settles and reports. */
  signal?: AbortSignal | undefined;
}

export interface SendPhaseResult {
  sendSeconds: number;
  /** Virtual users with an open socket when sending stopped. */
  connectedAtEnd: number;
  ticks: TickStats;
}

export async function runSendPhase(
  o: SimulateOptions,
  { generator, replay }: Crowd,
  sink: MeasuringSink | undefined,
  ledger: SentLedger,
  monitor: SelfMonitor,
  io: SendPhaseIo,
): Promise<SendPhaseResult> {
  const sendMs = replay ? replay.lengthMs + REPLAY_SLACK_MS : (o.durationS ?? 10) * 1000;
  const progress = createProgress({ stream: io.stderr, totalS: (replay ? replay.lengthMs : sendMs) / 1000, enabled: o.progress !== 'none' });

  const runStart = performance.now();
  ledger.rebase(nowMs());
  sink?.startMeasuring();
  monitor.start();
  generator.start(runStart);
  let endedAt = runStart;
  let endSendPhase!: () => void;
  const ended = new Promise<void>((resolve) => (endSendPhase = resolve));
  const scheduler = new TickScheduler(o.tickMs, (now) => {
    if (now - runStart >= sendMs || replay?.finished === true) {
      scheduler.stop();
      endedAt = now;
      endSendPhase();
      return;
    }
    generator.tick(now);
  });
  const progressTimer = setInterval(() => {
    progress.update({
      elapsedS: (performance.now() - runStart) / 1000,
      connected: generator.connected,
      updatesSent: generator.counters.updatesSent,
      delivered: sink?.delivered,
      p99Ms: sink?.latency.percentileMs(99),
      cpuPercent: monitor.recentCpu,
      lagP99Ms: monitor.lagP99Ms(),
    });
  }, PROGRESS_MS);
  const stopEarly = (): void => {
    if (scheduler.running) {
      scheduler.stop();
      endedAt = performance.now();
      endSendPhase();
    }
  };
  io.signal?.addEventListener('abort', stopEarly, { once: true });
  scheduler.start(runStart);
  await ended;
  const connectedAtEnd = generator.connected;
  io.signal?.removeEventListener('abort', stopEarly);
  clearInterval(progressTimer);
  await generator.stop();
  progress.stop();
  return { sendSeconds: (endedAt - runStart) / 1000, connectedAtEnd, ticks: generator.ticks ?? scheduler.stats };
}
