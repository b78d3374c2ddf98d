/**
 * The page as a new visitor sees it (issue 13, part 6), in real Chromium at phone, landscape-phone and desktop
 * sizes: each connection state says what is true, the pad dims while not connected, nothing overlaps the pad's
 * stage (the knob reaches half a knob beyond the rim), and a tall phone gets a larger pad. A screenshot of every
 * state at every size is written to test-artifacts/page/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { createPageHandler } from '../../src/web/index.js';
import { hasChromium } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { launchChromium, Sink } from './e2e-helpers.js';

export const VIEWPORTS = {
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true },
  landscape: { viewport: { width: 844, height: 390 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true },
  desktop: { viewport: { width: 1280, height: 800 } },
} as const;
type Size = keyof typeof VIEWPORTS;

const SHOTS = join('test-artifacts', 'page');

/**
 * The page without a relay behind it: `hang` holds every WebSocket handshake open (the page stays connecting),
 * `refuse` drops it at once (a relay that is down while the phone's network is fine).
 */
async function pageOnly(mode: 'hang' | 'refuse'): Promise<{ url: string; close: () => Promise<void> }> {
  const handler = createPageHandler();
  const held: import('node:stream').Duplex[] = [];
  const server: Server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (_req, socket) => {
    if (mode === 'refuse') socket.destroy();
    else held.push(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: async () => {
      for (const s of held) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function pageState(page: Page): Promise<string | undefined> {
  return (await page.locator('#state').getAttribute('data-page')) ?? undefined;
}

function waitForPageState(page: Page, want: string, timeoutMs = 15_000): Promise<true> {
  return until(async () => (await pageState(page)) === want || undefined, `page state ${want}`, timeoutMs);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Where the knob can go: the pad grown by half a knob on every side. */
async function knobReach(page: Page): Promise<Box> {
  const pad = (await page.locator('#pad').boundingBox())!;
  const knob = (await page.locator('#knob').boundingBox())!;
  const h = knob.width / 2;
  return { x: pad.x - h, y: pad.y - h, width: pad.width + 2 * h, height: pad.height + 2 * h };
}

/** Checks the layout at this size, then saves the screenshot. */
async function checkAndShoot(page: Page, size: Size, state: string): Promise<void> {
  const { width, height } = VIEWPORTS[size].viewport;
  const reach = await knobReach(page);
  // Everything on screen, and nothing where the knob can be.
  expect(reach.x, `${size}: knob reach inside the screen`).toBeGreaterThanOrEqual(0);
  expect(reach.y).toBeGreaterThanOrEqual(0);
  expect(reach.x + reach.width).toBeLessThanOrEqual(width);
  expect(reach.y + reach.height).toBeLessThanOrEqual(height);
  // The tilt button is offered on touch screens only.
  const tilt = size === 'desktop' ? [] : ['#tilt'];
  if (size === 'desktop') expect(await page.locator('#tilt').isVisible()).toBe(false);
  for (const sel of ['#title', '#instructions', '#state', '.readout', ...tilt]) {
    const box = await page.locator(sel).boundingBox();
    expect(box, `${size}: ${sel} visible`).not.toBeNull();
    expect(overlaps(reach, box!), `${size}: ${sel} clear of the knob's reach`).toBe(false);
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(width);
    expect(box!.y + box!.height).toBeLessThanOrEqual(height);
  }
  await page.screenshot({ path: join(SHOTS, `${state}-${size}.png`) });
}

/** The pad's filter once its dim/brighten transition (250 ms) has run: the state it settles in, on any load. */
async function padFilter(page: Page): Promise<string> {
  return page.locator('#pad').evaluate((el) => {
    for (const a of el.getAnimations()) a.finish();
    return getComputedStyle(el).filter;
  });
}

describe.skipIf(!hasChromium())('the page as a visitor sees it', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the page at every size at once and runs `check` on each. */
  async function atEverySize(url: string, check: (page: Page, size: Size) => Promise<void>): Promise<void> {
    const contexts = await Promise.all(Object.values(VIEWPORTS).map((o) => browser.newContext(o)));
    try {
      await Promise.all(
        (Object.keys(VIEWPORTS) as Size[]).map(async (size, i) => {
          const page = await contexts[i]!.newPage();
          await page.goto(url);
          await check(page, size);
        }),
      );
    } finally {
      await Promise.all(contexts.map((c) => c.close()));
    }
  }

  it('connecting: says so, with a dimmed pad, a title and instructions', async () => {
    const site = await pageOnly('hang');
    try {
      await atEverySize(site.url, async (page, size) => {
        expect(await pageState(page)).toBe('connecting');
        expect(await page.locator('#state').textContent()).toBe('connecting…');
        expect(await page.locator('#title').textContent()).toBe('Join the show');
        expect(await page.locator('#instructions').textContent()).toMatch(/steer/);
        expect(await page.title()).toBe('Join the show');
        expect(await padFilter(page)).not.toBe('none');
        await checkAndShoot(page, size, 'connecting');
      });
    } finally {
      await site.close();
    }
  }, 30_000);

  it('relay unreachable: says the relay, not the phone, is the problem, while the phone is online', async () => {
    const site = await pageOnly('refuse');
    try {
      await atEverySize(site.url, async (page, size) => {
        await waitForPageState(page, 'unreachable');
        expect(await page.evaluate(() => navigator.onLine)).toBe(true);
        expect(await page.locator('#state').textContent()).toBe('relay unreachable — retrying');
        expect(await padFilter(page)).not.toBe('none');
        await checkAndShoot(page, size, 'unreachable');
      });
    } finally {
      await site.close();
    }
  }, 40_000);

  describe('with a relay', () => {
    let relay: RelayHandle;
    beforeAll(async () => {
      relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, maxPerAddress: 50 });
    });
    afterAll(async () => {
      await relay?.close();
    });

    it('waiting for the show: connected, no sink; the pad is bright', async () => {
      await atEverySize(`${relay.httpUrl}/`, async (page, size) => {
        await waitForPageState(page, 'waiting');
        expect(await page.locator('#state').textContent()).toBe('connected · waiting for the show');
        expect(await padFilter(page)).toBe('none');
        await checkAndShoot(page, size, 'waiting');
      });
    }, 30_000);

    it('connected: live once a sink listens; a tall phone gets a larger pad than before', async () => {
      const sink = await Sink.connect(relay.url);
      try {
        await atEverySize(`${relay.httpUrl}/`, async (page, size) => {
          await waitForPageState(page, 'live');
          expect(await page.locator('#state').textContent()).toBe('live');
          expect(await padFilter(page)).toBe('none');
          if (size === 'phone') {
            // The page before issue 13 drew 70 % of the width (273 px) here.
            expect((await page.locator('#pad').boundingBox())!.width).toBeGreaterThanOrEqual(0.74 * 390);
          }
          await checkAndShoot(page, size, 'connected');
        });
      } finally {
        sink.close();
      }
    }, 30_000);
  });
});
