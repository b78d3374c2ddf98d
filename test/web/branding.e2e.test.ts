/**
 * A branded page in real Chromium: the title and instructions shown as text (a <script> in the title never runs),
 * the pad in the accent colour, the logo above the title, nothing overlapping at phone, landscape and desktop
 * sizes; screenshots in test-artifacts/page/branded-*.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayHandle } from '../../src/relay/index.js';
import { hasChromium } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { closePageRig, openPageRig, Sink } from './e2e-helpers.js';
import { watchProblems } from '../helpers/chromium.js';

const TITLE = 'Neon Garden <script>window.__owned = 1</script>';
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" rx="8" fill="#ff6600"/><text x="60" y="27" font-size="20" text-anchor="middle" fill="#111" font-family="sans-serif">NEON</text></svg>';
const SIZES = {
  phone: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true },
  landscape: { viewport: { width: 844, height: 390 }, hasTouch: true, isMobile: true },
  desktop: { viewport: { width: 1280, height: 800 } },
} as const;
const SHOTS = join('test-artifacts', 'page');

describe.skipIf(!hasChromium())('a branded page', () => {
  let browser: Browser;
  let relay: RelayHandle;
  let sink: Sink;
  const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-brand-e2e-'));

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(dir, 'logo.svg'), LOGO);
    ({ relay, sink, browser } = await openPageRig({
      page: { title: TITLE, instructions: 'Tilt your phone or drag the knob: the garden follows the crowd.', accent: '#ff6600', logo: join(dir, 'logo.svg') },
    }));
  });

  afterAll(async () => {
    await closePageRig({ relay, sink, browser });
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(SIZES) as Array<keyof typeof SIZES>)('%s: title as text, accent pad, logo, nothing over the pad', async (size) => {
    const context = await browser.newContext(SIZES[size]);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page, []);
      await page.goto(`${relay.httpUrl}/`);
      await until(async () => (await page.locator('#state').getAttribute('data-page')) === 'live' || undefined, 'live');
      expect(await page.title()).toBe(TITLE);
      expect(await page.locator('#title').textContent()).toBe(TITLE);
      expect(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();
      expect(await page.locator('#pad').evaluate((el) => getComputedStyle(el).getPropertyValue('--accent').trim())).toBe('#ff6600');
      expect(await page.locator('.tilt').evaluate((el) => getComputedStyle(el).borderTopColor)).toBe('rgb(255, 102, 0)');
      expect(await page.locator('#logo').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0)).toBe(true);

      const pad = (await page.locator('#pad').boundingBox())!;
      const knob = (await page.locator('#knob').boundingBox())!;
      const reach = { x: pad.x - knob.width / 2, y: pad.y - knob.height / 2, w: pad.width + knob.width, h: pad.height + knob.height };
      for (const sel of ['#logo', '#title', '#instructions', '#state', '.readout']) {
        const b = (await page.locator(sel).boundingBox())!;
        const clear = b.x >= reach.x + reach.w || reach.x >= b.x + b.width || b.y >= reach.y + reach.h || reach.y >= b.y + b.height;
        expect(clear, `${size}: ${sel} clear of the knob's reach`).toBe(true);
        expect(b.y + b.height, `${size}: ${sel} on screen`).toBeLessThanOrEqual(SIZES[size].viewport.height);
      }
      await page.screenshot({ path: join(SHOTS, `branded-${size}.png`) });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);
});
