/**
 * The run's exit code, decided on the finished report: 1 when an `--slo` term is breached, or when no virtual
 * user could connect at all (a failed run, not a quiet success); 0 otherwise.
 */
import type { SimulateOptions } from './options.js';
import type { SimulationReport } from './report-json.js';
import { evaluateSlo, type SloValues } from './slo.js';

/** Fills in `report.slo` (and the nothing-connected warning) and returns the exit code. */
export function judge(report: SimulationReport, o: SimulateOptions): 0 | 1 {
  let exitCode: 0 | 1 = 0;
  if (o.slo && o.sloText !== undefined) {
    const results = evaluateSlo(o.slo, sloValues(report));
    const passed = results.every((r) => r.ok);
    report.slo = { spec: o.sloText, passed, results };
    if (!passed) exitCode = 1;
  }
  if (report.generator.framesSent === 0 && report.generator.connectFailures > 0) {
    report.warnings.unshift(`no virtual user could connect to ${o.urls.join(' or ')}`);
    exitCode = 1;
  }
  return exitCode;
}

/** What `--slo` terms read from a report. */
export function sloValues(r: SimulationReport): SloValues {
  return {
    p50: r.latencyMs.p50,
    p95: r.latencyMs.p95,
    p99: r.latencyMs.p99,
    max: r.latencyMs.max,
    mean: r.latencyMs.mean,
    delivery: r.deliveryRatio,
    duplicates: r.sink ? r.duplicates : null,
    outOfOrder: r.sink ? r.outOfOrder : null,
    ghosts: r.sink ? r.ghostUsers : null,
    lag: r.eventLoopLagMs.p99,
    cpu: r.cpu.percentOfCore,
    rate: r.generator.achievedRate,
    fps: r.sink ? r.framesPerSecond : null,
  };
}
