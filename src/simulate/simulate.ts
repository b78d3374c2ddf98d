/**
 * One simulation run, start to finish: sink admitted → crowd (or replay) on one tick → stop sending → grace
 * period for in-flight frames and deletes → presence check → close → report, summary, SLO verdict.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { userKey } from '../protocol/index.js';
import { probeAdmission } from './admission-probe.js';
import { nowMs } from './clock.js';
import { MeasuringSink } from './measuring-sink.js';
import type { SimulateOptions } from './options.js';
import { createProgress } from './progress.js';
import { readReplayFile, ReplayRunner } from './replay.js';
import { buildReport, sloValues, writeReportJson, type ReportInput, type SimulationReport } from './report-json.js';
import { writeReportHtml } from './report-html.js';
import { TickScheduler } from './scheduler.js';
import { SelfMonitor, type Backlog } from './self-monitor.js';
import { SentLedger } from './sent-ledger.js';
import { planSources } from './source-addresses.js';
import { evaluateSlo } from './slo.js';
import { formatSummary } from './summary.js';
import { UserPool, type PoolCounters } from './user-pool.js';
import { ThreadedGenerator } from './generator-thread.js';

export interface SimulationIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  /** Ends the send phase early (Ctrl-C): the run still settles, measures and reports what it has. */
  signal?: AbortSignal;
}

export interface SimulationResult {
  report: SimulationReport;
  /** 0, or 1 when the SLO was breached. */
  exitCode: 0 | 1;
}

interface Generator {
  readonly counters: PoolCounters;
  readonly connected: number;
  start(startMs: number): void;
  tick(now: number): void;
  stop(): void | Promise<void>;
  closeAll(): Promise<void>;
  backlog(): Backlog;
}

const REPLAY_SLACK_MS = 10_000;

/** How often the grace period re-checks whether everything has arrived. */
const SETTLE_POLL_MS = 50;

export async function runSimulation(o: SimulateOptions, io: SimulationIo = { stdout: process.stdout, stderr: process.stderr }): Promise<SimulationResult> {
  const replayPlan = o.replay ? readReplayFile(o.replay, o.speed) : undefined;
  const startedAt = new Date();
  const ledger = new SentLedger(o.legacy || replayPlan !== undefined, nowMs());

  let sink: MeasuringSink | undefined;
  if (o.sink) {
    // Unique per run: a replayed log may contain an earlier run's probe, which must not be mistaken for this one.
    const probeId = `tdcrowd-probe-${randomBytes(6).toString('hex')}`;
    let seenProbe!: () => void;
    const seen = new Promise<void>((resolve) => (seenProbe = resolve));
    sink = new MeasuringSink({ url: o.url, token: o.sinkToken, batchHz: o.batchHz, legacy: o.legacy, ledger, probeId, onProbe: () => seenProbe() });
    await sink.connect();
    try {
      await probeAdmission(o.url, probeId, sink, seen, o.legacy);
    } catch (err) {
      await sink.close();
      throw err;
    }
  }

  // The crowd is created once the sink is in (worker threads, once spawned, must be shut down).
  const sources = await planSources(o.url);
  let replay: ReplayRunner | undefined;
  let threaded: ThreadedGenerator | undefined;
  let generator: Generator;
  const poolConfig = {
    url: o.url,
    users: o.users,
    rate: o.rate,
    rampS: o.rampS,
    pattern: o.pattern,
    churnPerMin: o.churnPerMin,
    idleDelete: o.idleDelete,
    idleAfterS: o.idleAfterS,
    seed: o.seed,
    idBase: o.idBase,
    legacy: o.legacy,
    tickMs: o.tickMs,
    sources,
  };
  if (replayPlan) {
    replay = new ReplayRunner(replayPlan, o.url, ledger, o.durationS === undefined ? undefined : o.durationS * 1000, sources);
    generator = replay;
  } else if (o.threads > 1) {
    threaded = await ThreadedGenerator.create(poolConfig, o.threads, ledger);
    generator = threaded;
  } else {
    generator = new UserPool({ ...poolConfig, ledger });
  }

  const monitor = new SelfMonitor(() => generator.backlog());
  // A replay ends when every connection has played out; the cap only guards against a relay that never lets go.
  const sendMs = replay ? replay.lengthMs + REPLAY_SLACK_MS : (o.durationS ?? 10) * 1000;
  const progress = createProgress({ stream: io.stderr, totalS: (replay ? replay.lengthMs : sendMs) / 1000, enabled: o.progress !== 'none' });

  // The send phase: one tick drives everything; it ends by the clock (or when the replay has played out).
  const runStart = performance.now();
  ledger.rebase(nowMs());
  sink?.startMeasuring();
  monitor.start();
  generator.start(runStart);
  let endedAt = runStart;
  let endSendPhase!: () => void;
  const sendPhase = new Promise<void>((resolve) => (endSendPhase = resolve));
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
  }, 250);
  const stopEarly = (): void => {
    if (scheduler.running) {
      scheduler.stop();
      endedAt = performance.now();
      endSendPhase();
    }
  };
  io.signal?.addEventListener('abort', stopEarly, { once: true });
  scheduler.start(runStart);
  await sendPhase;
  const connectedAtEnd = generator.connected;
  io.signal?.removeEventListener('abort', stopEarly);
  clearInterval(progressTimer);
  await generator.stop();
  progress.stop();
  const sendSeconds = (endedAt - runStart) / 1000;

  // Grace: let in-flight updates arrive and deletes of departed users reach the sink, then compare presence.
  let ghostIds: Array<number | string> = [];
  let missing = 0;
  let finalUsers = 0;
  let finalMatched = 0;
  if (sink) {
    const s = sink;
    const deadline = performance.now() + o.graceS * 1000;
    // Batches coalesce, so "everything arrived" means every user's last update arrived, not every update.
    const allArrived = (): boolean =>
      o.batchHz === undefined ? s.delivered + s.unmatched >= ledger.sent : [...ledger.lastSeqs()].every(([key, last]) => s.maxSeq(key) >= last);
    const settled = (): boolean => allArrived() && samePresence(s.liveIds().map(userKey), ledger.liveKeys());
    while (performance.now() < deadline && !settled()) await sleep(SETTLE_POLL_MS);
    const simLive = ledger.liveKeys();
    const sinkLive = s.liveIds();
    const sinkKeys = new Set(sinkLive.map(userKey));
    ghostIds = sinkLive.filter((id) => !simLive.has(userKey(id)));
    missing = [...simLive].filter((key) => !sinkKeys.has(key)).length;
    for (const [key, last] of ledger.lastSeqs()) {
      if (!simLive.has(key)) continue;
      finalUsers++;
      if (s.maxSeq(key) >= last) finalMatched++;
    }
  }
  const self = monitor.stop();
  sink?.finishLatencySeries();
  // The sink goes first: what it counted so far is the measurement, not the teardown's deletes.
  await sink?.close();
  await generator.closeAll();

  // The series covers the send phase; frames arriving during the grace period still count in the totals.
  const seconds = Math.max(1, Math.ceil(sendSeconds - 1e-3));
  const input: ReportInput = {
    options: o,
    startedAt,
    sendSeconds,
    measurement: sink ? (ledger.matched ? 'matched' : 'stamped') : 'none',
    sent: ledger.sent,
    sentPerSecond: (sec) => ledger.sentPerSecond.at(sec),
    seconds,
    sink: sink
      ? {
          delivered: sink.delivered,
          duplicates: sink.duplicates,
          outOfOrder: sink.outOfOrder,
          latency: sink.latency.summary(),
          bins: sink.latency.bins(),
          framesReceived: sink.framesReceived,
          framesAt: (sec) => sink!.framesPerSecond.at(sec),
          deliveredAt: (sec) => sink!.deliveredPerSecond.at(sec),
          latencyAt: (sec) => sink!.latencyPerSecond[sec],
          ghostIds,
          missing,
          finalUsers,
          finalMatched,
          unmatched: sink.unmatched,
          foreign: sink.foreign,
          connects: sink.connects,
          deletes: sink.deletes,
          invalid: sink.invalid,
          relayErrors: sink.relayErrors,
          closed: sink.closed,
        }
      : undefined,
    counters: generator.counters,
    sources,
    connectedAtEnd,
    ticks: threaded ? threaded.ticks : scheduler.stats,
    threads: o.threads,
    workerLagP99Ms: threaded?.workerLagP99Ms,
    self,
    replay: replay ? { ...replay.timing(), frames: replay.plan.frames, connections: replay.plan.connections.length } : undefined,
  };
  const report = buildReport(input);
  let exitCode: 0 | 1 = 0;
  if (o.slo && o.sloText !== undefined) {
    const results = evaluateSlo(o.slo, sloValues(report));
    const passed = results.every((r) => r.ok);
    report.slo = { spec: o.sloText, passed, results };
    if (!passed) exitCode = 1;
  }
  if (report.generator.framesSent === 0 && report.generator.connectFailures > 0) {
    // Nothing reached the relay at all: a failed run, not a quiet success.
    report.warnings.unshift(`no virtual user could connect to ${o.url}`);
    exitCode = 1;
  }
  if (o.report) writeReportJson(o.report, report);
  if (o.html) writeReportHtml(o.html, report);
  io.stdout.write(formatSummary(report, Boolean((io.stdout as NodeJS.WriteStream).isTTY)));
  return { report, exitCode };
}

/** The sink shows exactly the users the simulator believes live (user keys; the sink's list has no repeats). */
function samePresence(sinkKeys: readonly string[], simKeys: ReadonlySet<string>): boolean {
  return sinkKeys.length === simKeys.size && sinkKeys.every((key) => simKeys.has(key));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
