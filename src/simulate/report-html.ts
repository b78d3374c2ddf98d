/**
 * `--html FILE`: one self-contained page (no scripts, no external resources) with the summary numbers, the
 * latency histogram and delivery over time as inline SVG drawn from the report. Every piece of text that comes
 * from the run (URLs, file names, ids, messages) is escaped.
 */
import { writeFileSync } from 'node:fs';
import { pct, type SimulationReport } from './report-json.js';

export function escapeHtml(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const num = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));

function metric(name: string, label: string, value: string, unit = ''): string {
  return `<tr><th>${escapeHtml(label)}</th><td><span class="v" data-metric="${escapeHtml(name)}">${escapeHtml(value)}</span>${unit ? `<span class="u"> ${escapeHtml(unit)}</span>` : ''}</td></tr>`;
}

const W = 720;
const H = 240;
const PAD = { l: 56, r: 16, t: 16, b: 44 };

function histogramSvg(r: SimulationReport): string {
  const bins = r.latencyHistogram;
  if (bins.length === 0) return '<p class="empty">No latency samples.</p>';
  const maxCount = Math.max(...bins.map((b) => b.count));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const bw = iw / bins.length;
  const bars = bins
    .map((b, i) => {
      const h = maxCount > 0 ? (b.count / maxCount) * ih : 0;
      const x = PAD.l + i * bw;
      const y = PAD.t + ih - h;
      return `<rect class="bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeHtml(`${b.fromMs}–${b.toMs} ms: ${b.count}`)}</title></rect>`;
    })
    .join('');
  const labelEvery = Math.max(1, Math.ceil(bins.length / 8));
  const labels = bins
    .map((b, i) =>
      i % labelEvery === 0
        ? `<text class="tick" x="${(PAD.l + i * bw).toFixed(1)}" y="${H - PAD.b + 16}">${escapeHtml(b.fromMs)}</text>`
        : '',
    )
    .join('');
  return `<svg role="img" aria-label="latency histogram" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">
<line class="axis" x1="${PAD.l}" y1="${PAD.t + ih}" x2="${W - PAD.r}" y2="${PAD.t + ih}"/>
<line class="axis" x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ih}"/>
<text class="tick" x="${PAD.l - 6}" y="${PAD.t + 10}" text-anchor="end">${escapeHtml(maxCount)}</text>
<text class="tick" x="${PAD.l - 6}" y="${PAD.t + ih}" text-anchor="end">0</text>
${bars}${labels}
<text class="label" x="${PAD.l + iw / 2}" y="${H - 6}" text-anchor="middle">latency, ms (logarithmic bins)</text>
</svg>`;
}

function deliverySvg(r: SimulationReport): string {
  const pts = r.series;
  if (pts.length === 0) return '<p class="empty">No data.</p>';
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const maxY = Math.max(1, ...pts.map((p) => Math.max(p.sent, p.delivered, p.framesReceived)));
  const x = (i: number): number => PAD.l + (pts.length === 1 ? iw / 2 : (i / (pts.length - 1)) * iw);
  const y = (v: number): number => PAD.t + ih - (v / maxY) * ih;
  const line = (key: 'sent' | 'delivered' | 'framesReceived', cls: string): string =>
    `<polyline class="${cls}" points="${pts.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')}"/>`;
  const ratioLine = `<polyline class="ratio" points="${pts
    .filter((p) => p.deliveryRatio !== null)
    .map((p) => `${x(p.second).toFixed(1)},${(PAD.t + ih - Math.min(1, p.deliveryRatio ?? 0) * ih).toFixed(1)}`)
    .join(' ')}"/>`;
  const every = Math.max(1, Math.ceil(pts.length / 10));
  const ticks = pts.map((p, i) => (i % every === 0 ? `<text class="tick" x="${x(i).toFixed(1)}" y="${H - PAD.b + 16}">${p.second}</text>` : '')).join('');
  return `<svg role="img" aria-label="delivery over time" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">
<line class="axis" x1="${PAD.l}" y1="${PAD.t + ih}" x2="${W - PAD.r}" y2="${PAD.t + ih}"/>
<line class="axis" x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ih}"/>
<text class="tick" x="${PAD.l - 6}" y="${PAD.t + 10}" text-anchor="end">${escapeHtml(maxY)}/s</text>
${line('sent', 'sent')}${line('delivered', 'delivered')}${line('framesReceived', 'frames')}${ratioLine}${ticks}
<text class="label" x="${PAD.l + iw / 2}" y="${H - 6}" text-anchor="middle">second of the run</text>
</svg>
<p class="legend"><span class="k sent"></span> sent/s <span class="k delivered"></span> delivered/s (by send second) <span class="k frames"></span> frames/s at the sink <span class="k ratio"></span> delivery ratio (full height = 100%)</p>`;
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
svg{background:#fff;border:1px solid #dfe6e2;max-width:100%;height:auto}
.axis{stroke:#87958e}.tick,.label{font-size:11px;fill:#4a5a52}
.bar{fill:#2e7d4f}
polyline{fill:none;stroke-width:1.6}.sent{stroke:#1f5fa8}.delivered{stroke:#2e7d4f}.frames{stroke:#c77800;stroke-dasharray:4 3}.ratio{stroke:#b3261e;stroke-dasharray:1 3}
.k{display:inline-block;width:18px;height:0;border-top:2px solid;vertical-align:middle;margin-left:10px}
.k.sent{border-color:#1f5fa8}.k.delivered{border-color:#2e7d4f}.k.frames{border-color:#c77800}.k.ratio{border-color:#b3261e}
.ok{color:#2e7d4f}.bad{color:#b3261e;font-weight:600}.empty{color:#87958e}
</style></head>
<body>
<h1>tdcrowd simulate — ${escapeHtml(r.config.replay ? `replay of ${String(r.config.replay)}` : `${String(r.config.users)} users × ${String(r.config.rate)} Hz (${String(r.config.pattern)})`)}</h1>
<p>${escapeHtml(r.startedAt)} · ${escapeHtml(r.config.url)} · tdcrowd ${escapeHtml(r.version)} · delivery: ${escapeHtml(r.deliverySemantics)}${r.deliveryRatio === null ? '' : ` (${escapeHtml(pct(r.deliveryRatio))})`}</p>
${bound}
<h2>Summary</h2>
<table id="summary">
${rows}
</table>
${slo}
<h2>Latency histogram</h2>
${histogramSvg(r)}
<h2>Delivery over time</h2>
${deliverySvg(r)}
${warnings}
<h2>Configuration</h2>
<table id="config">${config}</table>
</body></html>
`;
}

export function writeReportHtml(path: string, report: SimulationReport): void {
  writeFileSync(path, renderReportHtml(report));
}
