/**
 * The HTML report's three charts as inline SVG: latency over time (p50/p95/p99 per second), the latency
 * histogram with its percentiles, and updates sent and delivered per second. `--slo` latency terms are drawn
 * as threshold markers on the first two.
 */
import type { SeriesPoint, SimulationReport } from './report-json.js';
import { parseSlo, type SloTerm } from './slo.js';
import {
  axes,
  escapeHtml,
  formatNumber,
  fx,
  integerTicks,
  linearTicks,
  linearX,
  linearY,
  logTicks,
  logX,
  pathThrough,
  PLOT,
  svg,
  type Tick,
} from './svg-chart.js';

/** SLO metrics that are a latency in ms, so they can be drawn on a latency axis. */
const LATENCY_METRICS = new Set(['p50', 'p95', 'p99', 'max', 'mean']);

/**
 * A threshold is drawn when it lies within this factor of the data's largest value (the axis is stretched to
 * take it in); further out it would flatten the data into the floor, so it is named under the chart instead.
 */
const MARKER_REACH = 4;

export interface SloMarker {
  term: string;
  metric: string;
  ms: number;
}

/** The latency terms of the run's --slo, with their thresholds. */
export function sloMarkers(r: SimulationReport): SloMarker[] {
  if (!r.slo) return [];
  let terms: SloTerm[];
  try {
    terms = parseSlo(r.slo.spec);
  } catch {
    return [];
  }
  return terms.filter((t) => LATENCY_METRICS.has(t.metric)).map((t) => ({ term: t.text, metric: t.metric, ms: t.value }));
}

export interface ChartSeconds {
  points: SeriesPoint[];
  /** The partial last second left out, if any. */
  dropped: SeriesPoint | undefined;
}

/**
 * The seconds the time charts show. A last second the send phase covered only in part (a run of 10.05 s ends
 * with 0.05 s of sending) holds a fraction of a second's counts and would read as a collapse at the end: it is
 * dropped, not scaled up (scaling a few ticks' worth of sends by 20× would show noise as a spike). The totals in
 * the summary still include it. A run shorter than a second keeps its only point.
 */
export function chartSeconds(series: readonly SeriesPoint[]): ChartSeconds {
  const last = series.at(-1);
  if (series.length > 1 && last !== undefined && last.coveredS < 1) return { points: series.slice(0, -1), dropped: last };
  return { points: [...series], dropped: undefined };
}

const PERCENTILES = [
  ['p50', 'p50Ms'],
  ['p95', 'p95Ms'],
  ['p99', 'p99Ms'],
] as const;

/** p50/p95/p99 of each second, with horizontal SLO thresholds. */
export function latencyOverTimeSvg(points: readonly SeriesPoint[], markers: readonly SloMarker[]): { svg: string; offChart: SloMarker[] } {
  const values = points.flatMap((p) => [p.p50Ms, p.p95Ms, p.p99Ms]).filter((v): v is number => v !== null);
  if (values.length === 0) return { svg: '<p class="empty">No latency samples.</p>', offChart: [] };
  const dataMax = Math.max(...values);
  const shown = markers.filter((m) => m.ms <= dataMax * MARKER_REACH);
  const offChart = markers.filter((m) => !shown.includes(m));
  const y = linearY(Math.max(dataMax, ...shown.map((m) => m.ms)));
  const x = secondsScale(points);
  const lines = PERCENTILES.map(
    ([name, key]) =>
      `<path class="line ${name}" data-series="${name}" data-values="${points.map((p) => p[key] ?? '').join(' ')}" d="${pathThrough(points.map((p) => [x(p.second), p[key] === null ? null : y(p[key])]))}"/>`,
  ).join('');
  const dots = points.length <= 60 ? PERCENTILES.map(([name, key]) => points.filter((p) => p[key] !== null).map((p) => `<circle class="dot ${name}" cx="${fx(x(p.second))}" cy="${fx(y(p[key]!))}" r="2"/>`).join('')).join('') : '';
  // Labels in the right margin at their line's height, pushed apart when two thresholds lie close together.
  let nextFreeY = Number.NEGATIVE_INFINITY;
  const slo = [...shown]
    .sort((a, b) => b.ms - a.ms)
    .map((m) => {
      const py = y(m.ms);
      const ly = Math.max(py, nextFreeY);
      nextFreeY = ly + LABEL_ROW_PX;
      return `<line class="marker slo" data-slo="${escapeHtml(m.term)}" data-value="${m.ms}" x1="${PLOT.left}" y1="${fx(py)}" x2="${PLOT.right}" y2="${fx(py)}"/><text class="marker-label slo" x="${PLOT.right + 4}" y="${fx(ly)}" dy="0.32em">SLO ${escapeHtml(m.term)}</text>`;
    })
    .join('');
  const body = `${axes(
    { ticks: secondTicks(x), at: x, title: 'second of the run (when the sink received the update)' },
    { ticks: linearTicks(y, 5), at: y, title: 'latency, ms' },
  )}${lines}${dots}${slo}`;
  return { svg: svg('latency over time', body), offChart };
}

/** Bars on a logarithmic ms axis, with the run's p50/p95/p99 and SLO thresholds as vertical lines. */
export function histogramSvg(r: SimulationReport, markers: readonly SloMarker[]): { svg: string; offChart: SloMarker[] } {
  const bins = r.latencyHistogram;
  if (bins.length === 0) return { svg: '<p class="empty">No latency samples.</p>', offChart: [] };
  const first = bins[0]!;
  const last = bins.at(-1)!;
  // The first bin starts at 0 (everything under 10 µs), which a log axis cannot place: start it a decade down.
  const lo = first.fromMs > 0 ? first.fromMs : first.toMs / 10;
  const shown = markers.filter((m) => m.ms > 0 && m.ms <= last.toMs * MARKER_REACH);
  const offChart = markers.filter((m) => !shown.includes(m));
  const x = logX(Math.min(lo, ...shown.map((m) => m.ms)), Math.max(last.toMs, ...shown.map((m) => m.ms * 1.15)));
  const y = linearY(Math.max(...bins.map((b) => b.count)));
  const bars = bins
    .map((b) => {
      const x0 = x(Math.max(b.fromMs, lo));
      const x1 = x(b.toMs);
      const top = y(b.count);
      return `<rect class="bar" data-from="${b.fromMs}" data-to="${b.toMs}" data-count="${b.count}" x="${fx(x0)}" y="${fx(top)}" width="${fx(Math.max(1, x1 - x0 - 1))}" height="${fx(PLOT.bottom - top)}"><title>${escapeHtml(`${b.fromMs}–${b.toMs} ms: ${b.count} updates`)}</title></rect>`;
    })
    .join('');
  const l = r.latencyMs;
  const pct = (['p50', 'p95', 'p99'] as const)
    .filter((k) => l[k] !== null)
    .map((k) => ({ px: x(l[k]!), cls: `marker ${k}`, data: `data-marker="${k}" data-value="${l[k]}"`, label: `${k} ${formatNumber(l[k]!)} ms` }));
  const slo = shown.map((m) => ({ px: x(m.ms), cls: 'marker slo', data: `data-slo="${escapeHtml(m.term)}" data-value="${m.ms}"`, label: `SLO ${m.term} ms` }));
  const body = `${axes({ ticks: logTicks(x), at: x, title: 'latency, ms (logarithmic)' }, { ticks: linearTicks(y, 5, true), at: y, title: 'updates' })}${bars}${verticals([...pct, ...slo])}`;
  return { svg: svg('latency histogram', body), offChart };
}

interface VerticalMarker {
  px: number;
  cls: string;
  data: string;
  label: string;
}

/** Rows of marker labels above the plot, and a rough width per character of their 11 px text. */
const LABEL_ROWS = 3;
const LABEL_ROW_PX = 12;
const CHAR_PX = 7;

/**
 * Vertical markers, each labelled above the plot with a leader down to its line. A label goes on the lowest row,
 * right of its line or else left of it, where it overlaps no other label and no other marker's leader, so markers
 * close together stay readable. When no place is free the label goes on the top row without a leader.
 */
function verticals(markers: readonly VerticalMarker[]): string {
  const placed: Array<{ x: number; from: number; to: number; row: number; leader: boolean }> = [];
  const out: string[] = [];
  const sorted = [...markers].sort((a, b) => a.px - b.px);
  for (const [i, m] of sorted.entries()) {
    const width = 3 + m.label.length * CHAR_PX;
    const right = { end: false, from: m.px, to: m.px + width };
    const left = { end: true, from: m.px - width, to: m.px };
    // Right of the line, unless the next marker is too close for that.
    const crowded = (sorted[i + 1]?.px ?? Number.POSITIVE_INFINITY) - m.px < width + 4;
    const spans = (crowded ? [left, right] : [right, left]).filter((s) => s.from >= 0 && s.to <= PLOT.right + 80);
    const free = (row: number, span: { from: number; to: number }): boolean =>
      placed.every(
        (p) =>
          !(p.row === row && span.from < p.to + 4 && p.from < span.to + 4) &&
          // My leader must not cross a lower label, nor my label a higher marker's leader.
          !(p.row < row && p.from <= m.px && m.px <= p.to) &&
          !(p.leader && p.row > row && span.from <= p.x && p.x <= span.to),
      );
    // The preferred side one row up reads better than the other side on the same row; two rows up, it does not.
    const candidates = spans
      .flatMap((span, side) => Array.from({ length: LABEL_ROWS }, (_, row) => ({ row, span, leader: true, cost: row + side * 1.5 })))
      .sort((a, b) => a.cost - b.cost);
    let choice: { row: number; span: { end: boolean; from: number; to: number }; leader: boolean } | undefined = candidates.find((c) => free(c.row, c.span));
    choice ??= { row: LABEL_ROWS - 1, span: spans[0] ?? { end: false, from: m.px, to: m.px + width }, leader: false };
    placed.push({ x: m.px, from: choice.span.from, to: choice.span.to, row: choice.row, leader: choice.leader });
    const ly = PLOT.top - 6 - choice.row * LABEL_ROW_PX;
    const x = fx(m.px);
    const end = choice.span.end;
    out.push(
      `<line class="${m.cls}" ${m.data} x1="${x}" y1="${choice.leader ? ly + 3 : PLOT.top}" x2="${x}" y2="${PLOT.bottom}"/><text class="marker-label ${m.cls.split(' ').at(-1)}" x="${fx(end ? m.px - 3 : m.px + 3)}" y="${ly}" text-anchor="${end ? 'end' : 'start'}">${escapeHtml(m.label)}</text>`,
    );
  }
  return out.join('');
}

/**
 * Sent per second as a filled area, delivered as a line over it (so both show even when they are equal), frames
 * at the sink dashed, and what was sent but not delivered as red bars from the floor.
 */
export function throughputSvg(points: readonly SeriesPoint[], batch: boolean): string {
  if (points.length === 0) return '<p class="empty">No data.</p>';
  const x = secondsScale(points);
  const y = linearY(Math.max(1, ...points.map((p) => Math.max(p.sent, p.delivered, p.framesReceived))));
  const xy = (key: 'sent' | 'delivered' | 'framesReceived'): Array<[number, number]> => points.map((p) => [x(p.second), y(p[key])]);
  const base = fx(PLOT.bottom);
  const sentPts = xy('sent');
  const area = `M${fx(sentPts[0]![0])},${base}${sentPts.map(([px, py]) => `L${fx(px)},${fx(py)}`).join('')}L${fx(sentPts.at(-1)![0])},${base}Z`;
  const values = (key: 'sent' | 'delivered' | 'framesReceived'): string => points.map((p) => p[key]).join(' ');
  const step = points.length > 1 ? (PLOT.right - PLOT.left) / (points.length - 1) : 8;
  const lost = points
    .filter((p) => p.sent > p.delivered)
    .map((p) => {
      const h = PLOT.bottom - y(p.sent - p.delivered);
      return `<rect class="lost" data-second="${p.second}" data-lost="${p.sent - p.delivered}" x="${fx(x(p.second) - Math.max(1, step * 0.3))}" y="${fx(PLOT.bottom - h)}" width="${fx(Math.max(2, step * 0.6))}" height="${fx(h)}"/>`;
    })
    .join('');
  const body = `${axes(
    { ticks: secondTicks(x), at: x, title: 'second of the run (sent and delivered: by send second)' },
    { ticks: linearTicks(y, 5, true), at: y, title: 'updates per second' },
  )}<path class="area sent" data-series="sent" data-values="${values('sent')}" d="${area}"/>${lost}
<path class="line delivered" data-series="delivered" data-values="${values('delivered')}" d="${pathThrough(xy('delivered'))}"/>
<path class="line frames" data-series="framesReceived" data-values="${values('framesReceived')}" d="${pathThrough(xy('framesReceived'))}"/>`;
  const lostLabel = batch ? 'sent but not delivered (coalesced by design in batch mode)' : 'sent but not delivered';
  return `${svg('sent and delivered over time', body)}
<p class="legend"><span class="k area sent"></span> sent/s <span class="k delivered"></span> delivered/s <span class="k frames"></span> frames/s at the sink <span class="k lost"></span> ${lostLabel}</p>`;
}

function secondsScale(points: readonly SeriesPoint[]) {
  const first = points[0]?.second ?? 0;
  const last = points.at(-1)?.second ?? 0;
  return linearX(first, last, 10);
}

function secondTicks(x: ReturnType<typeof linearX>): Tick[] {
  return integerTicks(x, 10);
}
