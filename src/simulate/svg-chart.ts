/**
 * The drawing parts the HTML report's charts share: a plot area, axes with rounded ("nice") tick labels and
 * titles, and escaping. Scales and tick choice come from d3-scale; this module only writes SVG text.
 */
import { scaleLinear, scaleLog, type ScaleLinear, type ScaleLogarithmic } from 'd3-scale';

export function escapeHtml(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const WIDTH = 760;
export const HEIGHT = 300;
/** Room for tick labels and axis titles around the plot; above it and right of it, for marker labels. */
const PAD = { l: 72, r: 84, t: 44, b: 52 };

/** Where the plot sits inside the SVG. */
export interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const PLOT: Plot = { left: PAD.l, right: WIDTH - PAD.r, top: PAD.t, bottom: HEIGHT - PAD.b };

export const fx = (v: number): string => (Math.round(v * 10) / 10).toString();

/** A linear scale over [0, max] with a rounded top. */
export function linearY(max: number, ticks = 5): ScaleLinear<number, number> {
  return scaleLinear()
    .domain([0, max > 0 ? max : 1])
    .range([PLOT.bottom, PLOT.top])
    .nice(ticks);
}

export function linearX(min: number, max: number, ticks = 10): ScaleLinear<number, number> {
  return scaleLinear()
    .domain([min, max > min ? max : min + 1])
    .range([PLOT.left, PLOT.right])
    .nice(ticks);
}

export function logX(min: number, max: number): ScaleLogarithmic<number, number> {
  return scaleLog()
    .domain([min, max > min ? max : min * 10])
    .range([PLOT.left, PLOT.right]);
}

export interface Tick {
  value: number;
  label: string;
}

/** Ticks of a linear scale, labelled with just the digits the step needs ("0.5", "1", "1.5"; "20,000"). */
export function linearTicks(scale: ScaleLinear<number, number>, count: number, thousands = false): Tick[] {
  const format = scale.tickFormat(count, thousands ? ',~f' : '~f');
  return scale.ticks(count).map((value) => ({ value, label: format(value) }));
}

/** Integer ticks only (seconds, counts of whole things): a step below 1 would label the same second twice. */
export function integerTicks(scale: ScaleLinear<number, number>, count: number): Tick[] {
  return linearTicks(scale, count, true).filter((t) => Number.isInteger(t.value));
}

/** 1-2-5 per decade, or only powers of ten when that would crowd the axis. */
export function logTicks(scale: ScaleLogarithmic<number, number>): Tick[] {
  const all = scale.ticks();
  const mantissa = (v: number): number => Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  let picked = all.filter((v) => [1, 2, 5].includes(mantissa(v)));
  if (picked.length > 12) picked = all.filter((v) => mantissa(v) === 1);
  if (picked.length < 2) picked = all;
  return picked.map((value) => ({ value, label: formatNumber(value) }));
}

/** A tick value as people write it: no float noise, no exponent ("0.005", "20", "20,000"). */
export function formatNumber(v: number): string {
  const rounded = Number(v.toPrecision(6));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** Axes, grid lines, tick labels and both axis titles. */
export function axes(x: { ticks: Tick[]; at: (v: number) => number; title: string }, y: { ticks: Tick[]; at: (v: number) => number; title: string }): string {
  const { left, right, top, bottom } = PLOT;
  const xt = x.ticks
    .map((t) => {
      const px = fx(x.at(t.value));
      return `<line class="grid" x1="${px}" y1="${top}" x2="${px}" y2="${bottom}"/><text class="tick x" data-value="${t.value}" x="${px}" y="${bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`;
    })
    .join('');
  const yt = y.ticks
    .map((t) => {
      const py = fx(y.at(t.value));
      return `<line class="grid" x1="${left}" y1="${py}" x2="${right}" y2="${py}"/><text class="tick y" data-value="${t.value}" x="${left - 6}" y="${py}" dy="0.32em" text-anchor="end">${escapeHtml(t.label)}</text>`;
    })
    .join('');
  const midY = (top + bottom) / 2;
  return `${xt}${yt}
<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>
<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>
<text class="title x" x="${fx((left + right) / 2)}" y="${HEIGHT - 10}" text-anchor="middle">${escapeHtml(x.title)}</text>
<text class="title y" transform="translate(16 ${fx(midY)}) rotate(-90)" text-anchor="middle">${escapeHtml(y.title)}</text>`;
}

export function svg(label: string, body: string): string {
  return `<svg role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">
${body}
</svg>`;
}

/**
 * A line through the points, broken where a value is missing (a second in which nothing arrived is a gap, not
 * a dip to zero).
 */
export function pathThrough(points: Array<[number, number | null]>): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (y === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${fx(x)},${fx(y)}`;
    pen = true;
  }
  return d;
}
