/**
 * `--html FILE`: one self-contained page (no scripts, no external resources) with the summary numbers and the
 * charts of report-charts.ts as inline SVG, drawn from the report. Every piece of text that comes from the run
 * (URLs, file names, ids, messages) is escaped.
 */
import { writeFileSync } from 'node:fs';
import { chartSeconds, histogramSvg, latencyOverTimeSvg, sloMarkers, throughputSvg, type SloMarker } from './report-charts.js';
import { pct } from './report-numbers.js';
import type { SimulationReport } from './report-json.js';
import { escapeHtml } from './svg-chart.js';

export { escapeHtml };

const num = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));

function metric(name: string, label: string, value: string, unit = ''): string {
  return `<tr><th>${escapeHtml(label)}</th><td><span class="v" data-metric="${escapeHtml(name)}">${escapeHtml(value)}</span>${unit ? `<span class="u"> ${escapeHtml(unit)}</span>` : ''}</td></tr>`;
}

function offChartNote(markers: readonly SloMarker[], what: string): string {
  if (markers.length === 0) return '';
  return `<p class="note">Off this chart (${escapeHtml(what)}): ${markers.map((m) => `SLO <code>${escapeHtml(m.term)}</code>`).join(', ')} ms.</p>`;
}

function charts(r: SimulationReport): string {
  const markers = sloMarkers(r);
  const { points, dropped } = chartSeconds(r.series);
  const partial = dropped
    ? `<p class="note" id="partial-second">The last ${escapeHtml(dropped.coveredS)} s of sending (second ${dropped.second}, a partial second) is left out of the charts over time, so it does not read as a collapse; the totals include it.</p>`
    : '';
  const overTime = latencyOverTimeSvg(points, markers);
  const histogram = histogramSvg(r, markers);
  return `<h2>Latency over time</h2>
${overTime.svg}
<p class="legend"><span class="k p50"></span> p50 <span class="k p95"></span> p95 <span class="k p99"></span> p99 per second${markers.length > 0 ? ' <span class="k slo"></span> SLO threshold' : ''}</p>
${offChartNote(overTime.offChart, 'far above the latencies measured')}
${partial}
<h2>Latency histogram</h2>
${histogram.svg}
${offChartNote(histogram.offChart, 'far above the slowest update')}
<h2>Sent and delivered over time</h2>
${throughputSvg(points, r.deliverySemantics !== 'every-update')}`;
}

/** Per-instance rows (several --url): phones, sent, delivered, latency; empty with one instance. */
function instancesTable(r: SimulationReport): string {
  if (r.instances.length < 2) return '';
  const sink = r.sink !== null;
  const rows = r.instances
    .map((inst, i) => {
      const l = inst.latencyMs;
      const cells = [
        `${i + 1}${inst.sink ? ' (sink)' : ''}`,
        inst.url,
        num(inst.users),
        num(inst.sent),
        ...(sink ? [num(inst.delivered), inst.deliveryRatio === null ? '-' : pct(inst.deliveryRatio), num(l.p50), num(l.p95), num(l.p99), num(l.max)] : []),
      ];
      return `<tr class="${inst.unreached ? 'bad' : ''}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const head = ['#', 'instance', 'users', 'sent', ...(sink ? ['delivered', 'delivery', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'] : [])];
  return `<h2>Per instance</h2>
<table id="instances"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>
${rows}
</table>`;
}

export function renderReportHtml(r: SimulationReport): string {
  const l = r.latencyMs;
  const rows = [
    metric('sent', 'sent (updates)', num(r.sent)),
    metric('delivered', 'delivered', num(r.delivered)),
    metric('deliveryRatio', r.deliverySemantics === 'every-update' ? 'delivery ratio' : 'delivery ratio (final state per user)', num(r.deliveryRatio)),
    metric('duplicates', 'duplicates', num(r.duplicates)),
    metric('outOfOrder', 'out of order', num(r.outOfOrder)),
    metric('p50', 'latency p50', num(l.p50), 'ms'),
    metric('p95', 'latency p95', num(l.p95), 'ms'),
    metric('p99', 'latency p99', num(l.p99), 'ms'),
    metric('max', 'latency max', num(l.max), 'ms'),
    metric('ghostUsers', 'ghost users', num(r.ghostUsers)),
    metric('framesPerSecond', 'frames/s at the sink', num(r.framesPerSecond)),
    metric('achievedRate', 'achieved send rate', num(r.generator.achievedRate), 'msg/s'),
    metric('eventLoopLagP99', 'simulator event-loop lag p99', num(r.eventLoopLagMs.p99), 'ms'),
    metric('cpu', 'simulator CPU', num(r.cpu.percentOfCore), '% of one core'),
    metric('generatorBound', 'generator-bound', r.generatorBound ? 'yes' : 'no'),
  ].join('\n');
  const bound = r.generatorBound
    ? `<div class="alarm"><strong>Generator-bound:</strong> the simulator itself could not keep up; these numbers understate the relay.<ul>${r.generatorBoundReasons.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`
    : '';
  const slo = r.slo
    ? `<h2>SLO ${r.slo.passed ? 'met' : 'breached'}: <code>${escapeHtml(r.slo.spec)}</code></h2><ul>${r.slo.results
        .map((s) => `<li class="${s.ok ? 'ok' : 'bad'}">${escapeHtml(s.term)}: ${s.ok ? 'ok' : 'BREACH'} (actual ${escapeHtml(s.actual ?? 'not measured')})</li>`)
        .join('')}</ul>`
    : '';
  const warnings = r.warnings.length > 0 ? `<h2>Notes</h2><ul>${r.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  const config = Object.entries(r.config)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tdcrowd simulate report ${escapeHtml(r.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2521;background:#fbfcfb}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}th,td{padding:3px 12px 3px 0;text-align:left;vertical-align:top}th{font-weight:500;color:#4a5a52}
.v{font-variant-numeric:tabular-nums;font-weight:600}
.alarm{border:2px solid #b3261e;background:#fdecea;padding:10px 14px;margin:12px 0}
svg{background:#fff;border:1px solid #dfe6e2;max-width:100%;height:auto;display:block}
.axis{stroke:#87958e}.grid{stroke:#eef2f0}.tick{font-size:11px;fill:#4a5a52}.title{font-size:12px;fill:#1d2521}
.bar{fill:#5b9a74}
.line{fill:none;stroke-width:1.8}.line.p50,.marker.p50{stroke:#2e7d4f}.line.p95,.marker.p95{stroke:#c77800}.line.p99,.marker.p99{stroke:#b3261e}
.dot.p50{fill:#2e7d4f}.dot.p95{fill:#c77800}.dot.p99{fill:#b3261e}
.area.sent{fill:#cfe0f3;stroke:#1f5fa8;stroke-width:1}.line.delivered{stroke:#2e7d4f;stroke-width:2}.line.frames{stroke:#c77800;stroke-width:1.2;stroke-dasharray:5 3}.lost{fill:#b3261e}
.marker{stroke-width:1.5}.marker.slo{stroke:#6a1b9a;stroke-dasharray:6 3}.marker-label{font-size:11px}.marker-label.slo{fill:#6a1b9a}
.marker-label.p50{fill:#2e7d4f}.marker-label.p95{fill:#c77800}.marker-label.p99{fill:#b3261e}
.k{display:inline-block;width:18px;height:0;border-top:2px solid;vertical-align:middle;margin-left:10px}
.k.p50{border-color:#2e7d4f}.k.p95{border-color:#c77800}.k.p99{border-color:#b3261e}.k.slo{border-top:2px dashed #6a1b9a}
.k.area.sent{height:8px;border:1px solid #1f5fa8;background:#cfe0f3}.k.delivered{border-color:#2e7d4f}.k.frames{border-top:2px dashed #c77800}.k.lost{height:8px;border:0;background:#b3261e}
.note{color:#4a5a52;font-size:13px}
.ok{color:#2e7d4f}.bad{color:#b3261e;font-weight:600}.empty{color:#87958e}
</style></head>
<body>
<h1>tdcrowd simulate — ${escapeHtml(r.config.replay ? `replay of ${String(r.config.replay)}` : `${String(r.config.users)} users × ${String(r.config.rate)} Hz (${String(r.config.pattern)})`)}</h1>
<p>${escapeHtml(r.startedAt)} · ${escapeHtml(r.instances.map((i) => i.url).join(', '))} · tdcrowd ${escapeHtml(r.version)} · delivery: ${escapeHtml(r.deliverySemantics)}${r.deliveryRatio === null ? '' : ` (${escapeHtml(pct(r.deliveryRatio))})`}</p>
${bound}
<h2>Summary</h2>
<table id="summary">
${rows}
</table>
${instancesTable(r)}
${slo}
${charts(r)}
${warnings}
<h2>Configuration</h2>
<table id="config">${config}</table>
</body></html>
`;
}

export function writeReportHtml(path: string, report: SimulationReport): void {
  writeFileSync(path, renderReportHtml(report));
}
