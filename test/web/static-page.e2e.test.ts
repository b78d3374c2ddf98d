/**
 * `relay --static DIR` end to end (issue 13, part 5): the example page in examples/buttons-and-fader, in real
 * Chromium, through the real relay, to a sink: the fader and buttons arrive as the protocol's fields, with the
 * same client logic as the joystick page (id kept across a reload, speed and angle from x and y), under the
 * static page's own CSP, with a hostile --title shown as text.
 */
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import type { RelayHandle } from '../../src/relay/index.js';
import { valuesFromOffset } from '../../src/web/client/joystick.js';
import { hasChromium } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { closePageRig, openPageRig, Sink } from './e2e-helpers.js';
import { watchProblems } from '../helpers/chromium.js';

const EXAMPLE = resolve('examples', 'buttons-and-fader');
const TITLE = '<script>alert("owned")</script> Lights & "Co"';

describe.skipIf(!hasChromium())('your own page (--static)', () => {
  let browser: Browser;
  let relay: RelayHandle;
  let sink: Sink;

  beforeAll(async () => {
    ({ relay, sink, browser } = await openPageRig({ page: { staticDir: EXAMPLE, title: TITLE, instructions: 'Slide & hold <b>' } }));
  });

  afterAll(async () => {
    await closePageRig({ relay, sink, browser });
  });

  it('buttons and fader: page → relay → sink, as x, y, speed and angle', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const problems: string[] = [];
    try {
      const page = await context.newPage();
      watchProblems(page, problems);
      await page.goto(`${relay.httpUrl}/`);
      await until(async () => (await page.locator('#state').getAttribute('data-state')) === 'live' || undefined, 'live');
      expect(await page.locator('#state').textContent()).toBe('live');
      // The title is text on the page, not markup.
      expect(await page.locator('#title').textContent()).toBe(TITLE);
      expect(await page.title()).toBe(TITLE);
      expect(await page.locator('#instructions').textContent()).toBe('Slide & hold <b>');
      expect(await page.locator('script').count()).toBe(1);

      const id = await until(() => page.evaluate(() => sessionStorage.getItem('tdcrowd.sliderId')).then((v) => v ?? undefined), 'id');
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');

      const expectUpdate = async (want: { x: number; y: number }, what: string): Promise<void> => {
        const v = valuesFromOffset(want.x, want.y, 170);
        const got = await sink.waitForMessage((m) => m.sliderId === id && (m.type ?? 'update') === 'update' && m.x === v.x && m.y === v.y, what);
        expect({ x: got.x, y: got.y, speed: got.speed, angle: got.angle }).toEqual({ ...v });
        expect(parse(JSON.stringify(got), { origin: 'controller' }).ok).toBe(true);
      };

      // Fader at +50 %: half speed to the right.
      await page.locator('#fader').fill('50');
      await expectUpdate({ x: 85, y: 0 }, 'fader right');
      // Holding Up adds y = -170: up and to the right, pulled back onto the rim.
      const up = (await page.locator('#up').boundingBox())!;
      await page.mouse.move(up.x + up.width / 2, up.y + up.height / 2);
      await page.mouse.down();
      await expectUpdate({ x: 85, y: -170 }, 'up held');
      await page.mouse.up();
      await expectUpdate({ x: 85, y: 0 }, 'up let go');
      // Down, with the fader full left.
      await page.locator('#fader').fill('-100');
      const down = (await page.locator('#down').boundingBox())!;
      await page.mouse.move(down.x + down.width / 2, down.y + down.height / 2);
      await page.mouse.down();
      await expectUpdate({ x: -170, y: 170 }, 'down held, fader left');
      await page.mouse.up();
      // The page shows what it sent, and it sends at the next animation frame: wait for that frame's values.
      await expectUpdate({ x: -170, y: 0 }, 'down let go, fader left');
      await until(async () => /^x -170 · y 0 · speed 100 · angle 180$/.test((await page.locator('#values').textContent()) ?? '') || undefined, 'the page showing what it sent');

      // A reload keeps the phone's id (same tab: sessionStorage), as on the joystick page; `?idle=` shortens the idle
      // delete there too: nothing held, nothing sent for a second → delete; the next touch of the fader → back.
      let from = sink.frames.length;
      await page.goto(`${relay.httpUrl}/?idle=1000`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect with the same id after a reload', from);
      from = sink.frames.length;
      await page.locator('#fader').fill('20');
      await expectUpdate({ x: 34, y: 0 }, 'fader after the reload');
      await sink.waitForMessage((m) => m.type === 'delete' && m.sliderId === id, 'idle delete', from);
      await until(async () => (await page.locator('#state').getAttribute('data-state')) === 'idle' || undefined, 'page says idle');
      from = sink.frames.length;
      await page.locator('#fader').fill('40');
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'back after idle', from);
      await expectUpdate({ x: 68, y: 0 }, 'fader after idle');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 40_000);
});
