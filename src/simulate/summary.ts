/**
 * The end-of-run summary table (cli-table3), drawn from the report so it says exactly what the JSON says. Every
 * line fits 80 columns, whatever the values: cells and the notes under the table are wrapped (wrap-ansi, which
 * also breaks a word too long for a line, such as a file path).
 */
import Table from 'cli-table3';
import wrapAnsi from 'wrap-ansi';
import { pct } from './report-numbers.js';
import type { InstanceReport } from './report-instances.js';
import type { SimulationReport } from './report-json.js';

/** A terminal's classic width; the summary never needs more. */
export const SUMMARY_COLUMNS = 80;
/** Widest label cell (padding included); the value cell takes the rest of the 80 columns after three borders. */
const MAX_LABEL_CELL = 33;
/** No lines between rows: the table stays about one screen high. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

const fmtMs = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)} ms`);
const fmtRatio = (v: number | null): string => (v === null ? '-' : `${pct(v)} (${v})`);
const fmtCounts = (r: Record<string, number>): string => {
  const e = Object.entries(r);
  return e.length === 0 ? '0' : e.map(([k, v]) => `${k}: ${v}`).join(', ');
};

const wrap = (text: string, width: number): string => wrapAnsi(text, width, { hard: true, trim: true });

/** `text` wrapped to 80 columns, its first line after `first`, the others after `rest` (a hanging indent). */
function paragraph(first: string, rest: string, text: string): string[] {
  const lines = wrap(text, SUMMARY_COLUMNS - first.length).split('\n');
  const head = `${first}${lines[0] ?? ''}`;
  const tail = lines.slice(1).join(' ');
  return tail === '' ? [head] : [head, ...wrap(tail, SUMMARY_COLUMNS - rest.length).split('\n').map((l) => `${rest}${l}`)];
}

/** One instance's row: where, how many phones, sent, and (with a sink) delivered and latency. */
function instanceLine(inst: InstanceReport, sink: boolean): string {
  const head = `${inst.url}: ${inst.users} users, sent ${inst.sent}`;
  if (!sink) return head;
  const l = inst.latencyMs;
  return `${head}, delivered ${inst.delivered} (${inst.deliveryRatio === null ? '-' : pct(inst.deliveryRatio)}), p50 / p99 ${fmtMs(l.p50)} / ${fmtMs(l.p99)}${inst.unreached ? ', NOT REACHING THE SINK' : ''}`;
}

export function formatSummary(r: SimulationReport, color = false): string {
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
  if (r.instances.length > 1) r.instances.forEach((inst, i) => rows.push([`instance ${i + 1}${inst.sink ? ' (sink)' : ''}`, instanceLine(inst, Boolean(r.sink))]));
  rows.push(['event-loop lag p50/p99/max', `${r.eventLoopLagMs.p50} / ${r.eventLoopLagMs.p99} / ${r.eventLoopLagMs.max} ms`]);
  rows.push(['cpu', `${r.cpu.percentOfCore}% of one core (user ${r.cpu.userMs} ms, system ${r.cpu.systemMs} ms), ${g.updatesPerCpuSecond} updates per CPU-second`]);
  rows.push(['send backlog', `max ${r.sendBacklog.maxSocketBytes} B/socket, ${r.sendBacklog.maxTotalBytes} B total, missed ${g.missedLate} late + ${g.missedBacklog} backlog`]);
  rows.push(['generator-bound', r.generatorBound ? 'YES' : 'no']);
  if (r.slo) for (const s of r.slo.results) rows.push([`slo ${s.term}`, `${s.ok ? 'ok' : 'BREACH'} (actual ${s.actual ?? 'not measured'})`]);
  // Labels are this file's own ASCII words (and SLO terms, ASCII too), so their width is their length; values
  // may hold anything (a replay file's name), so their cell is fixed and the text wrapped to it.
  const labelCell = Math.min(MAX_LABEL_CELL, Math.max(...rows.map(([label]) => label.length)) + 2);
  const valueCell = SUMMARY_COLUMNS - labelCell - 3;
  const labels = rows.map(([label]) => wrap(label, labelCell - 2));
  const values = rows.map(([, value]) => wrap(value, valueCell - 2));
  const table = new Table({
    style: color ? {} : { head: [], border: [] },
    chars: COMPACT,
    head: ['metric', 'value'],
    colWidths: [labelCell, valueCell],
  });
  rows.forEach((_, i) => table.push([labels[i]!, values[i]!]));

  const lines = [table.toString()];
  if (r.generatorBound) {
    const bang = '!'.repeat(78);
    lines.push(bang, ...paragraph('!! ', '!! ', 'GENERATOR-BOUND: the simulator itself could not keep up; these numbers understate the relay.'));
    for (const why of r.generatorBoundReasons) lines.push(...paragraph('!!  - ', '!!    ', why));
    lines.push(...paragraph('!! ', '!! ', 'Use fewer users per process, run several processes, or a bigger machine.'), bang);
  }
  for (const w of r.warnings) lines.push(...paragraph('note: ', '      ', w));
  if (r.slo) lines.push(...(r.slo.passed ? paragraph('SLO met: ', '  ', r.slo.spec) : paragraph('SLO BREACHED: ', '  ', r.slo.spec)));
  return `${lines.join('\n')}\n`;
}
