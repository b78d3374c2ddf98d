/**
 * The HTML report's charts on a report of known numbers (helpers/synthetic-report.ts): the series they plot,
 * rounded tick labels, axis titles, percentile and SLO markers, the partial last second left out; then the
 * page in real Chromium, with a screenshot in test-artifacts/ to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/simulate/index.js';
import { chartSeconds } from '../../src/simulate/report-charts.js';
import { launchChromium } from '../helpers/chromium.js';
import { hasChromium } from '../helpers/requirements.js';
import { DELIVERED, PER_SECOND, SENT, syntheticReport } from './helpers/synthetic-report.js';

const SLO = 'p99<50,p50<1,delivery>=0.999,max<60000';
const html = renderReportHtml(syntheticReport({ slo: SLO }));

/** The <svg> with this aria-label. */
function chart(label: string): string {
  const m = new RegExp(`<svg role="img" aria-label="${label}"[\\s\\S]*?</svg>`).exec(html);
  if (!m) throw new Error(`no chart ${label}`);
  return m[0];
}
const attr = (el: string, name: string): string | undefined => new RegExp(`${name}="([^"]*)"`).exec(el)?.[1];
const elements = (svg: string, selector: RegExp): string[] => svg.match(selector) ?? [];
const tickLabels = (svg: string, axis: 'x' | 'y'): string[] =>
  [...svg.matchAll(new RegExp(`<text class="tick ${axis}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]!);
const seriesValues = (svg: string, name: string): string[] => {
  const path = elements(svg, new RegExp(`<path [^>]*data-series="${name}"[^>]*>`, 'g'))[0];
  return attr(path ?? '', 'data-values')?.split(' ') ?? [];
};

/** A rounded label: at most two significant decimals, no float noise, no exponent. */
const ROUNDED = /^(0|[1-9]\d{0,2}(,\d{3})*|\d+\.\d{1,2}|0\.0*[125])$/;

describe('latency over time', () => {
  const svg = chart('latency over time');

  it('plots p50, p95 and p99 of each whole second; the partial last second (0.05 s) is left out', () => {
    const whole = PER_SECOND.slice(0, -1);
    expect(seriesValues(svg, 'p50')).toEqual(whole.map((p) => String(p[0])));
    expect(seriesValues(svg, 'p95')).toEqual(whole.map((p) => String(p[1])));
    expect(seriesValues(svg, 'p99')).toEqual(whole.map((p) => String(p[2])));
    expect(html).toMatch(/id="partial-second">The last 0\.05 s of sending \(second 10/);
  });

  it('has rounded tick labels and titled axes', () => {
    // Seconds 0..9; latency 0..38.7 ms and the 50 ms SLO: a rounded top of 50.
    expect(tickLabels(svg, 'x')).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(tickLabels(svg, 'y')).toEqual(['0', '10', '20', '30', '40', '50']);
    expect(svg).toContain('>latency, ms</text>');
    expect(svg).toMatch(/class="title x"[^>]*>second of the run/);
  });

  it('draws each latency SLO within reach as a threshold line, and names the far one under the chart', () => {
    const slo = elements(svg, /<line class="marker slo"[^>]*>/g).map((l) => [attr(l, 'data-slo'), attr(l, 'data-value')]);
    expect(slo.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['p50&#60;1', '1'],
      ['p99&#60;50', '50'],
    ]);
    // max<60000 ms is far above 38.7 ms: drawing it would flatten the chart.
    expect(html).toMatch(/Off this chart \(far above the latencies measured\): SLO <code>max&#60;60000<\/code>/);
    // delivery is not a latency: no marker.
    expect(html).not.toMatch(/data-slo="delivery/);
  });
});

describe('latency histogram', () => {
  const svg = chart('latency histogram');
  const report = syntheticReport({ slo: SLO });

  it('has one bar per bin with its count, on a logarithmic axis with 1-2-5 labels', () => {
    const bars = elements(svg, /<rect class="bar"[^>]*>/g);
    expect(bars.map((b) => Number(attr(b, 'data-count')))).toEqual(report.latencyHistogram.map((b) => b.count));
    const x = tickLabels(svg, 'x');
    expect(x.length).toBeGreaterThanOrEqual(4);
    for (const label of x) expect(label).toMatch(/^(0\.0*)?[125]0*$/);
    for (const label of tickLabels(svg, 'y')) expect(label).toMatch(ROUNDED);
    expect(svg).toContain('>latency, ms (logarithmic)</text>');
    expect(svg).toContain('>updates</text>');
  });

  it('marks p50, p95 and p99 of the run, and the SLO thresholds', () => {
    const markers = elements(svg, /<line class="marker p\d\d"[^>]*>/g).map((l) => [attr(l, 'data-marker'), Number(attr(l, 'data-value'))]);
    expect(markers).toEqual([
      ['p50', report.latencyMs.p50],
      ['p95', report.latencyMs.p95],
      ['p99', report.latencyMs.p99],
    ]);
    expect(svg).toMatch(new RegExp(`>p99 ${report.latencyMs.p99} ms</text>`));
    expect(elements(svg, /<line class="marker slo"[^>]*>/g).map((l) => attr(l, 'data-value'))).toEqual(['1', '50']);
    // Markers are drawn in order along the axis.
    const xs = elements(svg, /<line class="marker[^>]*>/g).map((l) => Number(attr(l, 'x1')));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(5);
  });
});

describe('sent and delivered over time', () => {
  const svg = chart('sent and delivered over time');

  it('shows sent and delivered per whole second, and the shortfall', () => {
    expect(seriesValues(svg, 'sent')).toEqual(SENT.slice(0, -1).map(String));
    expect(seriesValues(svg, 'delivered')).toEqual(DELIVERED.slice(0, -1).map(String));
    expect(elements(svg, /<rect class="lost"[^>]*>/g).map((r) => [attr(r, 'data-second'), attr(r, 'data-lost')])).toEqual([['5', '1500']]);
    // 60 000/s at the top: a rounded axis in thousands.
    expect(tickLabels(svg, 'y')).toEqual(['0', '10,000', '20,000', '30,000', '40,000', '50,000', '60,000']);
    expect(svg).toContain('>updates per second</text>');
  });

  it('keeps a partial second that is the run’s only one', () => {
    const r = syntheticReport();
    const short = chartSeconds([{ ...r.series[0]!, coveredS: 0.5 }]);
    expect(short.points).toHaveLength(1);
    expect(short.dropped).toBeUndefined();
  });
});

it('a report without latency samples says so instead of drawing empty charts', () => {
  const r = syntheticReport();
  const empty = renderReportHtml({ ...r, latencyHistogram: [], series: r.series.map((p) => ({ ...p, p50Ms: null, p95Ms: null, p99Ms: null })) });
  expect(empty.match(/No latency samples\./g)).toHaveLength(2);
});

describe.skipIf(!hasChromium())('in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every chart inside its frame, loads nothing, and leaves a screenshot in test-artifacts/', async () => {
    const dir = join(process.cwd(), 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'simulate-report.html');
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 840, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    for (const label of ['latency over time', 'latency histogram', 'sent and delivered over time']) {
      const svg = page.locator(`svg[aria-label="${label}"]`);
      // Every label and mark lies inside the SVG's own box (nothing cut off at an edge).
      const outside = await svg.evaluate((el) => {
        const box = el.getBoundingClientRect();
        return [...el.querySelectorAll('text, line, path, rect')]
          .map((n) => ({ n, b: n.getBoundingClientRect() }))
          .filter(({ b }) => b.left < box.left - 0.5 || b.top < box.top - 0.5 || b.right > box.right + 0.5 || b.bottom > box.bottom + 0.5)
          .map(({ n }) => n.outerHTML.slice(0, 80));
      });
      expect(outside, label).toEqual([]);
    }
    const tallest = await page.locator('svg[aria-label="latency histogram"] rect.bar').evaluateAll((els) => Math.max(...els.map((e) => (e as SVGRectElement).getBBox().height)));
    expect(tallest).toBeGreaterThan(150);
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
    await page.screenshot({ path: join(dir, 'simulate-report.png'), fullPage: true });
    await page.close();
  });
});
