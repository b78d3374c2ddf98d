/**
 * --target webserver end to end: real Chromium loads the joystick page from the generated Web Server DAT
 * callbacks (running in the emulator behind a real HTTP/WebSocket server, src/emulate/server-bridge.ts), joins,
 * drags the knob, goes idle, comes back and leaves; the Table DAT and the Script CHOP follow, with no relay.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerBridge } from '../../src/emulate/server-bridge.js';
import { resolveOptions } from '../../src/generate/index.js';
import { hasChromium, hasNumpy, hasPython } from '../helpers/requirements.js';
import { launchChromium } from '../web/e2e-helpers.js';
import { until } from '../helpers/wait.js';
import { watchProblems } from '../helpers/chromium.js';

const ID_KEY = 'tdcrowd.sliderId';
const RESUME_KEY = 'tdcrowd.resume';

describe.skipIf(!hasChromium() || !hasPython() || !hasNumpy())('joystick page served by the Web Server DAT target, in Chromium', () => {
  let browser: Browser;
  let bridge: ServerBridge;
  let url: string;

  beforeAll(async () => {
    bridge = new ServerBridge({ options: resolveOptions({ target: 'webserver', extraColumns: 'slot' }), port: 0 });
    url = await bridge.start();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.stop();
  });

  const row = async (id: string): Promise<string[] | undefined> => (await bridge.state()).table.find((r) => r[0] === id);

  async function pad(page: Page): Promise<{ cx: number; cy: number; r: number }> {
    const box = await page.locator('#pad').boundingBox();
    if (!box) throw new Error('pad not visible');
    return { cx: box.x + box.width / 2, cy: box.y + box.height / 2, r: box.width / 2 };
  }

  it('joins with a welcome, steers the row, goes idle, comes back, and leaves', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const problems: string[] = [];
    try {
      const page = await context.newPage();
      watchProblems(page, problems);
      await page.goto(`${url}?idle=1500`);
      await until(async () => (await page.locator('#state').getAttribute('data-state')) === 'live' || undefined, 'page live', 15_000);
      const id = await until(() => page.evaluate((k) => sessionStorage.getItem(k), ID_KEY).then((v) => v ?? undefined), 'id');
      // the welcome reached the page: it keeps the resume token the scripts made
      await until(() => page.evaluate((k) => sessionStorage.getItem(k), RESUME_KEY).then((v) => v ?? undefined), 'resume token');
      await until(() => row(id), 'the row of the connect');

      const g = await pad(page);
      await page.mouse.move(g.cx, g.cy);
      await page.mouse.down();
      await page.mouse.move(g.cx + g.r, g.cy, { steps: 8 });
      const right = await until(async () => {
        const r = await row(id);
        return r !== undefined && Number(r[1]) > 168 ? r : undefined;
      }, 'the row at the right rim');
      expect(Math.abs(Number(right[2]))).toBeLessThan(2);
      expect(Number(right[3])).toBeGreaterThan(98.5);
      expect(right[5]).toBe('0'); // slot 0
      await until(async () => ((await bridge.state()).chop?.channels.valuex?.[0] ?? 0) > 168 || undefined, 'the Script CHOP follows');
      await page.mouse.up();
      await until(async () => (await row(id))?.slice(1, 5).join() === '0,0,0,0' || undefined, 'zero on release');

      // idle delete after 1.5 s, then back on the next movement
      await until(async () => (await row(id)) === undefined || undefined, 'idle delete');
      await page.mouse.move(g.cx, g.cy);
      await page.mouse.down();
      await page.mouse.move(g.cx, g.cy + g.r / 2, { steps: 4 });
      await until(async () => Number((await row(id))?.[2]) > 80 || undefined, 'back after idle');
      await page.mouse.up();

      // the tab goes: onWebSocketClose deletes the row
      await page.close();
      await until(async () => (await row(id)) === undefined || undefined, 'row gone after the page closed');
      const s = await bridge.state();
      expect(s.errors).toEqual([]);
      expect(s.stats?.ignored).toEqual({});
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
