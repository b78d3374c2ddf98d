/** The --html report opened in real Chromium: it must show the numbers the JSON report holds. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { renderReportHtml, type SimulationReport } from '../../src/simulate/index.js';
import { chartSeconds } from '../../src/simulate/report-charts.js';
import { hasChromium } from '../helpers/requirements.js';
import { launchChromium } from '../helpers/chromium.js';
import { simulate } from './helpers/run.js';

describe.skipIf(!hasChromium())('--html report in Chromium', () => {
  let browser: Browser;
  let relay: RelayHandle;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    dir = mkdtempSync(join(tmpdir(), 'tdcrowd-sim-html-'));
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the summary numbers of the JSON report, the latency histogram and delivery over time', async () => {
    const html = join(dir, 'run.html');
    const json = join(dir, 'run.json');
    await simulate({ url: relay.url, users: '10', rate: '20', duration: '2', sink: true, html, report: json, slo: 'p99<60000' });
    const report = JSON.parse(readFileSync(json, 'utf8')) as SimulationReport;
    expect(readFileSync(html, 'utf8')).not.toMatch(/<script|<link|src=|href=/i);

    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href);
    const metric = (name: string) => page.locator(`[data-metric="${name}"]`).textContent();
    expect(await metric('sent')).toBe(String(report.sent));
    expect(await metric('delivered')).toBe(String(report.delivered));
    expect(await metric('deliveryRatio')).toBe(String(report.deliveryRatio));
    expect(await metric('duplicates')).toBe(String(report.duplicates));
    expect(await metric('outOfOrder')).toBe(String(report.outOfOrder));
    for (const p of ['p50', 'p95', 'p99', 'max'] as const) expect(await metric(p)).toBe(String(report.latencyMs[p]));
    expect(await metric('ghostUsers')).toBe(String(report.ghostUsers));
    expect(await metric('generatorBound')).toBe(report.generatorBound ? 'yes' : 'no');
    expect(await metric('eventLoopLagP99')).toBe(String(report.eventLoopLagMs.p99));

    const bars = page.locator('svg[aria-label="latency histogram"] rect.bar');
    expect(await bars.count()).toBe(report.latencyHistogram.length);
    expect(report.latencyHistogram.length).toBeGreaterThan(0);
    const tallest = await bars.evaluateAll((els) => Math.max(...els.map((e) => (e as SVGRectElement).getBBox().height)));
    expect(tallest).toBeGreaterThan(50);
    // Sent and latency per second, over the whole seconds of the run (a partial last one is left out).
    const whole = chartSeconds(report.series).points;
    const sent = page.locator('svg[aria-label="sent and delivered over time"] path[data-series="sent"]');
    expect((await sent.getAttribute('data-values'))!.split(' ')).toEqual(whole.map((p) => String(p.sent)));
    const p99 = page.locator('svg[aria-label="latency over time"] path[data-series="p99"]');
    expect((await p99.getAttribute('data-values'))!.split(' ')).toEqual(whole.map((p) => String(p.p99Ms ?? '')));
    expect(whole.some((p) => p.p99Ms !== null)).toBe(true);
    expect(await page.locator('body').textContent()).toContain('SLO met');
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
    await page.close();
  });

  it('escapes everything that comes from the run (no markup injection)', async () => {
    const base = (await simulate({ url: relay.url, users: '1', rate: '5', duration: '0.5', sink: true })).report;
    const hostile = '<img src=x onerror="document.title=\'pwned\'">';
    const report: SimulationReport = {
      ...base,
      config: { ...base.config, url: `ws://x/${hostile}`, replay: hostile },
      warnings: [hostile],
      ghostIds: [hostile],
      generatorBound: true,
      generatorBoundReasons: [hostile],
    };
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderReportHtml(report));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('body').textContent()).toContain(hostile);
    expect(await page.locator('.alarm').textContent()).toContain('Generator-bound');
    await page.close();
  });
});
