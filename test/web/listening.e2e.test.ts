/**
 * The page in real Chromium says when no show is listening (issue 11, part 7): with no sink at the relay it
 * reads "connected · waiting for the show" rather than "live", turns live when TouchDesigner (a sink) connects,
 * and back when it goes.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { hasChromium } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { launchChromium, Sink } from './e2e-helpers.js';

describe.skipIf(!hasChromium())('the page and the show', () => {
  let browser: Browser;
  let relay: RelayHandle;

  beforeAll(async () => {
    relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  it('says "connected · waiting for the show" while no sink listens, "live" once one does, and again when it leaves', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await page.goto(`${relay.httpUrl}/`);
      const state = page.locator('#state');
      const text = async (want: string): Promise<true> => until(async () => (await state.textContent()) === want || undefined, `state "${want}"`);

      await text('connected · waiting for the show');
      expect(await state.getAttribute('data-state')).toBe('live');
      expect(await state.getAttribute('data-listening')).toBe('false');

      const sink = await Sink.connect(relay.url);
      await text('live');
      expect(await state.getAttribute('data-listening')).toBe('true');

      sink.close();
      await text('connected · waiting for the show');
    } finally {
      await context.close();
    }
  }, 30_000);
});
