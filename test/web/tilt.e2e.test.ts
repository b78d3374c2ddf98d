/**
 * Tilt mode in real Chromium (issue 13, part 2): orientation emulated through the DevTools protocol
 * (DeviceOrientation.setDeviceOrientationOverride) reaches the sink as the same x, y, speed and angle the knob's
 * geometry gives; no readings → back to the knob with a notice; iOS's permission prompt refused → the knob.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayHandle } from '../../src/relay/index.js';
import { MAX_TILT_DEG } from '../../src/web/client/tilt.js';
import { valuesFromOffset } from '../../src/web/client/joystick.js';
import { hasChromium } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { closePageRig, openPageRig, Sink } from './e2e-helpers.js';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true } as const;

type Msg = Record<string, unknown>;

async function orient(cdp: CDPSession, beta: number, gamma: number): Promise<void> {
  await cdp.send('DeviceOrientation.setDeviceOrientationOverride', { alpha: 0, beta, gamma });
}

async function sliderId(page: Page): Promise<string> {
  return until(() => page.evaluate(() => sessionStorage.getItem('tdcrowd.sliderId')).then((v) => v ?? undefined), 'id');
}

function tiltOf(page: Page): Promise<string | null> {
  return page.locator('#app').getAttribute('data-tilt');
}

describe.skipIf(!hasChromium())('tilt mode', () => {
  let browser: Browser;
  let relay: RelayHandle;
  let sink: Sink;

  beforeAll(async () => {
    ({ relay, sink, browser } = await openPageRig());
  });

  afterAll(async () => {
    await closePageRig({ relay, sink, browser });
  });

  async function open(context: BrowserContext): Promise<{ page: Page; id: string }> {
    const page = await context.newPage();
    await page.goto(`${relay.httpUrl}/`);
    await until(async () => (await page.locator('#state').getAttribute('data-page')) === 'live' || undefined, 'live');
    return { page, id: await sliderId(page) };
  }

  it('steers with the phone tilted from where it was held: the sink gets the knob geometry of the tilt', async () => {
    const context = await browser.newContext(PHONE);
    try {
      const { page, id } = await open(context);
      const cdp = await context.newCDPSession(page);
      await orient(cdp, 40, 0); // held at 40°: the neutral posture
      await expect(page.locator('#tilt').isVisible()).resolves.toBe(true);
      await page.locator('#tilt').tap();
      await until(async () => (await tiltOf(page)) === 'on' || undefined, 'tilt on');
      expect(await page.locator('#tilt').getAttribute('aria-pressed')).toBe('true');

      const want = (dBeta: number, dGamma: number): Msg => ({ ...valuesFromOffset(dGamma, dBeta, MAX_TILT_DEG) });
      const cases: Array<{ beta: number; gamma: number; expect: Msg }> = [
        // top tipped away by the full range: straight up at full speed
        { beta: 40 - MAX_TILT_DEG, gamma: 0, expect: { x: 0, y: -170, speed: 100, angle: 90 } },
        // right edge down by half the range: half speed to the right
        { beta: 40, gamma: MAX_TILT_DEG / 2, expect: { x: 85, y: 0, speed: 50, angle: 0 } },
        // beyond the range, down-left: held on the rim
        { beta: 40 + 30, gamma: -30, expect: want(30, -30) },
      ];
      for (const c of cases) {
        const from = sink.frames.length;
        await orient(cdp, c.beta, c.gamma);
        const got = await sink.waitForMessage(
          (m) => m.sliderId === id && (m.type === undefined || m.type === 'update') && m.x === c.expect.x && m.y === c.expect.y,
          `update for beta ${c.beta}, gamma ${c.gamma}`,
          from,
        );
        expect({ x: got.x, y: got.y, speed: got.speed, angle: got.angle }).toEqual(c.expect);
      }
      const rim = cases[2]!.expect;
      expect(Math.hypot(rim.x as number, rim.y as number)).toBeCloseTo(170, 0);
      expect(rim.speed).toBe(100);
      expect(rim.angle).toBe(225);
      // The knob follows on screen too.
      expect(await page.locator('#speed').textContent()).toBe('100');

      // Back to the knob: a zero update, and the tilt no longer steers.
      const from = sink.frames.length;
      await page.locator('#tilt').tap();
      await sink.waitForMessage((m) => m.sliderId === id && m.x === 0 && m.y === 0 && m.speed === 0, 'zero update', from);
      expect(await tiltOf(page)).toBe('off');
      const after = sink.frames.length;
      await orient(cdp, 10, 10);
      await page.waitForTimeout(300);
      expect(sink.updatesOf(id).length).toBe(sink.frames.slice(0, after).filter((f) => f.msg.sliderId === id && (f.msg.type ?? 'update') === 'update').length);
    } finally {
      await context.close();
    }
  }, 40_000);

  it('falls back to the knob with a notice when no orientation reading arrives', async () => {
    const context = await browser.newContext(PHONE);
    try {
      const { page, id } = await open(context);
      // A phone whose sensor never reports: no events at all.
      await page.evaluate(() => {
        const add = window.addEventListener.bind(window);
        window.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, boolean | AddEventListenerOptions | undefined]) => {
          if (type !== 'deviceorientation') add(type, ...rest);
        }) as typeof window.addEventListener;
      });
      await page.locator('#tilt').tap();
      await until(async () => (await page.locator('#notice').textContent())?.includes('no tilt sensor') || undefined, 'notice');
      expect(await tiltOf(page)).toBe('off');
      expect(await page.locator('#tilt').getAttribute('aria-pressed')).toBe('false');
      expect(await page.locator('#pad').getAttribute('class')).not.toContain('tilting');

      // The knob steers again.
      const box = (await page.locator('#pad').boundingBox())!;
      const from = sink.frames.length;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width, box.y + box.height / 2, { steps: 4 });
      await sink.waitForMessage((m) => m.sliderId === id && m.x === 170 && m.speed === 100, 'knob at the right rim', from);
      await page.mouse.up();
    } finally {
      await context.close();
    }
  }, 30_000);

  it("asks iOS's permission inside the tap; refused → the knob, granted → tilt", async () => {
    for (const answer of ['denied', 'granted'] as const) {
      const context = await browser.newContext(PHONE);
      try {
        // Safari on iOS 13+: DeviceOrientationEvent.requestPermission(), which must be called from a user gesture.
        await context.addInitScript((a) => {
          const w = window as unknown as { __asked: boolean[] };
          w.__asked = [];
          (DeviceOrientationEvent as unknown as { requestPermission: () => Promise<string> }).requestPermission = () => {
            w.__asked.push(navigator.userActivation.isActive);
            return Promise.resolve(a);
          };
        }, answer);
        const { page, id } = await open(context);
        const cdp = await context.newCDPSession(page);
        await orient(cdp, 40, 0);
        await page.locator('#tilt').tap();
        if (answer === 'denied') {
          await until(async () => (await page.locator('#notice').textContent())?.includes('not allowed') || undefined, 'notice');
          expect(await tiltOf(page)).toBe('off');
        } else {
          await until(async () => (await tiltOf(page)) === 'on' || undefined, 'tilt on');
          const from = sink.frames.length;
          await orient(cdp, 40, MAX_TILT_DEG);
          await sink.waitForMessage((m) => m.sliderId === id && m.x === 170 && m.speed === 100 && m.angle === 0, 'tilted right', from);
        }
        expect(await page.evaluate(() => (window as unknown as { __asked: boolean[] }).__asked)).toEqual([true]);
      } finally {
        await context.close();
      }
    }
  }, 40_000);
});
