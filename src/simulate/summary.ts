/** The end-of-run summary table (cli-table3), drawn from the report so it says exactly what the JSON says. */
import Table from 'cli-table3';
import { pct, type SimulationReport } from './report-json.js';

const fmtMs = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)} ms`);
const fmtRatio = (v: number | null): string => (v === null ? '-' : `${pct(v)} (${v})`);
const fmtCounts = (r: Record<string, number>): string => {
  const e = Object.entries(r);
  return e.length === 0 ? '0' : e.map(([k, v]) => `${k}: ${v}`).join(', ');
};

export function formatSummary(r: SimulationReport, color = false): string {
  const table = new Table({ style: color ? {} : { head: [], border: [] }, head: ['metric', 'value'] });
  const g = r.generator;
  const rows: Array<[string, string]> = [];
  if (r.config.replay) rows.push(['replay', `${r.replay?.frames ?? 0} frames on ${r.replay?.connections ?? 0} connections, late max ${r.replay?.maxLateMs ?? 0} ms`]);
  else rows.push(['load', `${String(r.config.users)} users × ${String(r.config.rate)} Hz, ${String(r.config.pattern)}, target ${g.targetRate} msg/s`]);
  rows.push([
    'sent (updates)',
    `${r.sent} in ${g.sendSeconds} s = ${g.achievedRate} msg/s${g.steadyRate === null ? '' : ` (${g.steadyRate} msg/s after the ramp)`}, on time ${g.onTimeShare === null ? '-' : pct(g.onTimeShare)}`,
  ]);
  if (r.sink) {
    rows.push(['delivered', String(r.delivered)]);
    rows.push([r.deliverySemantics === 'every-update' ? 'delivery ratio' : 'delivery (final state per user)', fmtRatio(r.deliveryRatio)]);
    if (r.deliverySemantics !== 'every-update') rows.push(['updates surviving coalescing', fmtRatio(r.updateDeliveryRatio)]);
    rows.push(['duplicates', String(r.duplicates)]);
    rows.push(['out of order', String(r.outOfOrder)]);
    rows.push(['latency p50 / p95 / p99', `${fmtMs(r.latencyMs.p50)} / ${fmtMs(r.latencyMs.p95)} / ${fmtMs(r.latencyMs.p99)}`]);
    rows.push(['latency max', fmtMs(r.latencyMs.max)]);
    rows.push(['ghost users', r.ghostUsers === 0 ? '0' : `${r.ghostUsers} (e.g. ${r.ghostIds.slice(0, 5).join(', ')})`]);
    if (r.missingUsers > 0) rows.push(['missing users', String(r.missingUsers)]);
    rows.push(['frames/s at sink', `${r.framesPerSecond} avg, ${r.maxFramesPerSecond} max`]);
    rows.push(['deletes at sink', fmtCounts(r.sink.deletes)]);
  } else {
    rows.push(['measuring sink', 'off (add --sink to measure delivery and latency)']);
  }
  rows.push(['event-loop lag p50 / p99 / max', `${r.eventLoopLagMs.p50} / ${r.eventLoopLagMs.p99} / ${r.eventLoopLagMs.max} ms`]);
  rows.push(['cpu', `${r.cpu.percentOfCore}% of one core (user ${r.cpu.userMs} ms, system ${r.cpu.systemMs} ms), ${g.updatesPerCpuSecond} updates per CPU-second`]);
  rows.push(['send backlog', `max ${r.sendBacklog.maxSocketBytes} B/socket, ${r.sendBacklog.maxTotalBytes} B total, missed ${g.missedLate} late + ${g.missedBacklog} backlog`]);
  rows.push(['generator-bound', r.generatorBound ? 'YES' : 'no']);
  if (r.slo) for (const s of r.slo.results) rows.push([`slo ${s.term}`, `${s.ok ? 'ok' : 'BREACH'} (actual ${s.actual ?? 'not measured'})`]);
  for (const row of rows) table.push(row);

  const lines = [table.toString()];
  if (r.generatorBound) {
    const bang = '!'.repeat(78);
    lines.push(bang, '!! GENERATOR-BOUND: the simulator itself could not keep up; these numbers understate the relay.');
    for (const why of r.generatorBoundReasons) lines.push(`!!  - ${why}`);
    lines.push('!! Use fewer users per process, run several processes, or a bigger machine.', bang);
  }
  for (const w of r.warnings) lines.push(`note: ${w}`);
  if (r.slo) lines.push(r.slo.passed ? `SLO met: ${r.slo.spec}` : `SLO BREACHED: ${r.slo.spec}`);
  return `${lines.join('\n')}\n`;
}
