/**
 * The run's findings as one JSON document (`--report FILE.json`), with the field names the README documents at the top level:
 * sent, delivered, deliveryRatio, duplicates, outOfOrder, latencyMs, ghostUsers, generatorBound, eventLoopLagMs,
 * cpu. The HTML report and the summary table are both drawn from this object, so they cannot disagree.
 */
import { writeFileSync } from 'node:fs';
import { VERSION } from '../version.js';
import { generatorBoundReasons, onTimeShare } from './generator-bound.js';
import type { ReportInput } from './report-input.js';
import { instanceRows, instanceWarnings, type InstanceReport } from './report-instances.js';
import { round } from './report-numbers.js';
import type { ReplayTiming } from './replay.js';
import type { SelfReport } from './self-monitor.js';
import type { SloResult } from './slo.js';
import type { LatencyBin, LatencySummary } from './stats.js';
import { runWarnings } from './warnings.js';

export interface SeriesPoint {
  /** Second of the run. */
  second: number;
  /** Updates sent in that second. */
  sent: number;
  /** Of those, distinct updates that reached the sink (by send second). */
  delivered: number;
  deliveryRatio: number | null;
  /** Frames the sink received in that second. */
  framesReceived: number;
  /** Latency of the updates the sink received in that second, ms (null: none arrived, or no sink). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /**
   * Seconds of the send phase inside this second: 1, except for a last second the send phase ended in (its
   * counts cover only this much time, so charts leave it out rather than show it as a collapse).
   */
  coveredS: number;
}

export interface SimulationReport {
  tool: 'tdcrowd simulate';
  version: string;
  startedAt: string;
  config: Record<string, unknown>;
  /** How updates are recognised at the sink: `stamped` (seq and t in the frame) or `matched` (--legacy, --replay). */
  measurement: 'stamped' | 'matched' | 'none';
  /** `every-update`, or `final-state-per-user` in batch mode (the relay coalesces by design). */
  deliverySemantics: 'every-update' | 'final-state-per-user';
  sent: number;
  delivered: number;
  deliveryRatio: number | null;
  /** delivered / sent regardless of semantics (in batch mode: the share that survived coalescing). */
  updateDeliveryRatio: number | null;
  duplicates: number;
  outOfOrder: number;
  latencyMs: LatencySummary;
  ghostUsers: number;
  ghostIds: Array<number | string>;
  /** Users the simulator had present that the sink did not show. */
  missingUsers: number;
  finalState: { users: number; matched: number; ratio: number | null };
  framesReceived: number;
  framesPerSecond: number;
  maxFramesPerSecond: number;
  sink: {
    unmatched: number;
    foreign: number;
    connects: number;
    connectsWithHue: number;
    deletes: Record<string, number>;
    invalidFrames: Record<string, number>;
    relayErrors: Record<string, number>;
    closed: { code: number; reason: string } | null;
  } | null;
  generator: {
    targetRate: number;
    /** Updates sent / send-phase seconds (the ramp included). */
    achievedRate: number;
    /** Mean updates per second over the whole seconds after the ramp (null when there are none). */
    steadyRate: number | null;
    scheduled: number;
    updatesSent: number;
    framesSent: number;
    onTimeShare: number | null;
    missedLate: number;
    missedBacklog: number;
    connectsSent: number;
    idleDeletes: number;
    leaves: number;
    joins: number;
    /** Virtual users with an open socket when sending stopped (replay: connections open then). */
    usersConnected: number;
    connectFailures: number;
    closesByCode: Record<string, number>;
    relayErrors: Record<string, number>;
    framesReceivedByUsers: number;
    sendSeconds: number;
    /** Updates sent per second of CPU this process used: the generator's efficiency, independent of how much
     * CPU the machine gave it (on a busy machine achievedRate drops, this does not). */
    updatesPerCpuSecond: number;
  };
  generatorBound: boolean;
  generatorBoundReasons: string[];
  eventLoopLagMs: SelfReport['eventLoopLagMs'];
  cpu: SelfReport['cpu'];
  sendBacklog: SelfReport['backlog'] & {
    lateTicks: number;
    skippedTicks: number;
    maxTickLateMs: number;
    /** Passes over the crowd cut at their time budget; the rest of the crowd went out on the next tick. */
    ticksCut: number;
  };
  /** With --threads: worst event-loop lag p99 among the generator threads (eventLoopLagMs is the main thread's). */
  generatorThreadLagP99Ms: number | null;
  /** Where the virtual phones connected from: a relay caps controllers per client address. */
  sourceAddresses: {
    /** Spread over a loopback range (the relay is on IPv4 loopback). */
    spread: boolean;
    /** The range spread over, e.g. 127.0.0.2-127.0.0.254. */
    range: string | null;
    /** Why the phones were not spread. */
    note: string | null;
    /** Sockets the virtual phones opened, by source address (as the relay saw them), in address order. */
    opens: Record<string, number>;
    addresses: number;
    maxPerAddress: number;
  };
  maxRssMb: number;
  replay: (ReplayTiming & { frames: number; connections: number }) | null;
  /** One row per relay instance (--url, in order): phones, sent, delivered and latency there. */
  instances: InstanceReport[];
  series: SeriesPoint[];
  latencyHistogram: LatencyBin[];
  slo: { spec: string; passed: boolean; results: SloResult[] } | null;
  warnings: string[];
}

export function buildReport(input: ReportInput): SimulationReport {
  const { options: o, counters: c, self, sink } = input;
  const batch = o.batchHz !== undefined;
  const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 6) : null);
  const finalRatio = sink ? ratio(sink.finalMatched, sink.finalUsers) : null;
  const updateRatio = sink ? ratio(sink.delivered, input.sent) : null;

  const series: SeriesPoint[] = [];
  for (let s = 0; s < input.seconds; s++) {
    const sent = input.sentPerSecond(s);
    const delivered = sink ? sink.deliveredAt(s) : 0;
    const lat = sink?.latencyAt(s);
    series.push({
      second: s,
      sent,
      delivered,
      deliveryRatio: sink ? ratio(delivered, sent) : null,
      framesReceived: sink ? sink.framesAt(s) : 0,
      p50Ms: lat?.p50 ?? null,
      p95Ms: lat?.p95 ?? null,
      p99Ms: lat?.p99 ?? null,
      coveredS: round(Math.min(1, Math.max(0, input.sendSeconds - s)), 3),
    });
  }
  const maxFps = series.reduce((m, p) => Math.max(m, p.framesReceived), 0);

  const cpuS = (self.cpu.userMs + self.cpu.systemMs) / 1000;
  const reasons = generatorBoundReasons(input);
  const instances = instanceRows(input);
  const warnings = [...runWarnings(input, reasons.length > 0, updateRatio), ...(sink ? instanceWarnings(instances, o.sinkUrl) : [])];
  const opens = sortedByAddress(c.opensBySource);

  const config: Record<string, unknown> = {
    url: o.url,
    urls: o.urls,
    sinkUrl: o.sink ? o.sinkUrl : null,
    users: o.replay ? null : o.users,
    rate: o.replay ? null : o.rate,
    durationS: o.durationS ?? null,
    rampS: o.rampS,
    pattern: o.replay ? null : o.pattern,
    churnPerMin: o.churnPerMin,
    idleDelete: o.idleDelete,
    idleAfterS: o.idleAfterS,
    replay: o.replay ?? null,
    speed: o.speed,
    sink: o.sink,
    sinkToken: o.sinkToken === undefined ? null : '(set)',
    batchHz: o.batchHz ?? null,
    sinkEncoding: o.sinkEncoding,
    legacy: o.legacy,
    seed: o.seed,
    tickMs: o.tickMs,
    threads: o.threads,
    graceS: o.graceS,
    slo: o.sloText ?? null,
  };

  return {
    tool: 'tdcrowd simulate',
    version: VERSION,
    startedAt: input.startedAt.toISOString(),
    config,
    measurement: input.measurement,
    deliverySemantics: batch ? 'final-state-per-user' : 'every-update',
    sent: input.sent,
    delivered: sink?.delivered ?? 0,
    deliveryRatio: batch ? finalRatio : updateRatio,
    updateDeliveryRatio: updateRatio,
    duplicates: sink?.duplicates ?? 0,
    outOfOrder: sink?.outOfOrder ?? 0,
    latencyMs: sink?.latency ?? { count: 0, p50: null, p95: null, p99: null, max: null, mean: null },
    ghostUsers: sink?.ghostIds.length ?? 0,
    ghostIds: sink?.ghostIds.slice(0, 50) ?? [],
    missingUsers: sink?.missing ?? 0,
    finalState: { users: sink?.finalUsers ?? 0, matched: sink?.finalMatched ?? 0, ratio: finalRatio },
    framesReceived: sink?.framesReceived ?? 0,
    framesPerSecond: sink && input.sendSeconds > 0 ? round(sink.framesReceived / input.sendSeconds, 1) : 0,
    maxFramesPerSecond: maxFps,
    sink: sink
      ? {
          unmatched: sink.unmatched,
          foreign: sink.foreign,
          connects: sink.connects,
          connectsWithHue: sink.connectsWithHue,
          deletes: sink.deletes,
          invalidFrames: sink.invalid,
          relayErrors: sink.relayErrors,
          closed: sink.closed ?? null,
        }
      : null,
    generator: {
      targetRate: o.replay ? 0 : o.users * o.rate,
      achievedRate: input.sendSeconds > 0 ? round(c.updatesSent / input.sendSeconds, 1) : 0,
      steadyRate: steadyRate(series, o.rampS, input.sendSeconds),
      scheduled: c.scheduled,
      updatesSent: c.updatesSent,
      framesSent: c.framesSent,
      onTimeShare: onTimeShare(c),
      missedLate: c.missedLate,
      missedBacklog: c.missedBacklog,
      connectsSent: c.connectsSent,
      idleDeletes: c.idleDeletes,
      leaves: c.leaves,
      joins: c.joins,
      usersConnected: input.connectedAtEnd,
      connectFailures: c.connectFailures,
      closesByCode: c.closesByCode,
      relayErrors: c.relayErrors,
      framesReceivedByUsers: c.framesReceived,
      sendSeconds: round(input.sendSeconds, 3),
      updatesPerCpuSecond: cpuS > 0 ? Math.round(c.updatesSent / cpuS) : 0,
    },
    generatorBound: reasons.length > 0,
    generatorBoundReasons: reasons,
    eventLoopLagMs: self.eventLoopLagMs,
    cpu: self.cpu,
    sendBacklog: { ...self.backlog, lateTicks: input.ticks.lateTicks, skippedTicks: input.ticks.skippedTicks, maxTickLateMs: round(input.ticks.maxLateMs, 3), ticksCut: c.ticksCut },
    generatorThreadLagP99Ms: input.workerLagP99Ms === undefined ? null : round(input.workerLagP99Ms, 3),
    sourceAddresses: {
      spread: input.sources.spread,
      range: input.sources.spread ? input.sources.range : null,
      note: input.sources.spread ? null : input.sources.reason,
      opens,
      addresses: Object.keys(opens).length,
      maxPerAddress: Object.values(opens).reduce((m, n) => Math.max(m, n), 0),
    },
    maxRssMb: self.maxRssMb,
    replay: input.replay ?? null,
    instances,
    series,
    latencyHistogram: sink?.bins ?? [],
    slo: null,
    warnings,
  };
}

/** Dotted IPv4 addresses in numeric order (others after them, as text). */
function sortedByAddress(counts: Record<string, number>): Record<string, number> {
  const rank = (a: string): number[] => (/^\d+\.\d+\.\d+\.\d+$/.test(a) ? a.split('.').map(Number) : [256]);
  const order = Object.keys(counts).sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) if ((ra[i] ?? -1) !== (rb[i] ?? -1)) return (ra[i] ?? -1) - (rb[i] ?? -1);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const out: Record<string, number> = {};
  for (const a of order) out[a] = counts[a]!;
  return out;
}

function steadyRate(series: SeriesPoint[], rampS: number, sendSeconds: number): number | null {
  const from = Math.ceil(rampS);
  const to = Math.floor(sendSeconds);
  if (to <= from) return null;
  let sum = 0;
  for (let sec = from; sec < to; sec++) sum += series[sec]?.sent ?? 0;
  return round(sum / (to - from), 1);
}

export function writeReportJson(path: string, report: SimulationReport): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
