/**
 * One simulation run, phase by phase: admit the sink → build the crowd (or replay) → send on one tick until the
 * clock says stop → settle (grace for in-flight frames and deletes, then the presence check) → close → report,
 * summary and verdict.
 */
import { admitSink } from './admit.js';
import { nowMs } from './clock.js';
import { createCrowd } from './crowd.js';
import type { SimulateOptions } from './options.js';
import { readReplayFile, replayInstanceResolver } from './replay.js';
import { buildReport, writeReportJson, type SimulationReport } from './report-json.js';
import { writeReportHtml } from './report-html.js';
import { runSendPhase } from './send-phase.js';
import { SelfMonitor } from './self-monitor.js';
import { SentLedger } from './sent-ledger.js';
import { settle } from './settle.js';
import { crowdInstanceResolver, mergeSourcePlans, planTargets } from './instances.js';
import { formatSummary } from './summary.js';
import { judge } from './verdict.js';

export interface SimulationIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  /** Ends the send phase early (Ctrl-C): the run still settles, measures and reports what it has. */
  signal?: AbortSignal;
}

export interface SimulationResult {
  report: SimulationReport;
  /** 0, or 1 when the SLO was breached (or nothing could connect). */
  exitCode: 0 | 1;
}

export async function runSimulation(o: SimulateOptions, io: SimulationIo = { stdout: process.stdout, stderr: process.stderr }): Promise<SimulationResult> {
  const replayPlan = o.replay ? readReplayFile(o.replay, o.speed) : undefined;
  const startedAt = new Date();
  const ledger = new SentLedger(o.legacy || replayPlan !== undefined, nowMs());

  const count = o.urls.length;
  const admitted = await admitSink(o, ledger, { count, of: replayPlan ? replayInstanceResolver(replayPlan, count) : crowdInstanceResolver(o.idBase, count) });
  const sink = admitted?.sink;
  const targets = await planTargets(o.urls);
  const crowd = await createCrowd(o, ledger, replayPlan, targets);
  const { generator, replay } = crowd;
  const monitor = new SelfMonitor(() => generator.backlog());

  const sent = await runSendPhase(o, crowd, sink, ledger, monitor, io);

  const presence = sink ? await settle(sink, ledger, o.graceS, o.batchHz !== undefined) : undefined;
  const self = monitor.stop();
  sink?.finishLatencySeries();
  // The sink goes first: what it counted so far is the measurement, not the teardown's deletes.
  await sink?.close();
  await generator.closeAll();

  const report = buildReport({
    options: o,
    startedAt,
    sendSeconds: sent.sendSeconds,
    measurement: sink ? (ledger.matched ? 'matched' : 'stamped') : 'none',
    sent: ledger.sent,
    sentPerSecond: (sec) => ledger.sentPerSecond.at(sec),
    // The series covers the send phase; frames arriving during the grace period still count in the totals.
    seconds: Math.max(1, Math.ceil(sent.sendSeconds - 1e-3)),
    sink: sink && presence ? { ...sink.summary(), ...presence } : undefined,
    counters: generator.counters,
    sources: mergeSourcePlans(targets),
    unreachedInstances: admitted?.unreached ?? [],
    connectedAtEnd: sent.connectedAtEnd,
    ticks: sent.ticks,
    threads: o.threads,
    workerLagP99Ms: generator.workerLagP99Ms,
    self,
    replay: replay ? { ...replay.timing(), frames: replay.plan.frames, connections: replay.plan.connections.length } : undefined,
  });
  const exitCode = judge(report, o);
  if (o.report) writeReportJson(o.report, report);
  if (o.html) writeReportHtml(o.html, report);
  io.stdout.write(formatSummary(report, Boolean((io.stdout as NodeJS.WriteStream).isTTY)));
  return { report, exitCode };
}
