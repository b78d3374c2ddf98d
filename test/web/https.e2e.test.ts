/**
 * The joystick page over HTTPS in real Chromium (the self-signed certificate's warning accepted, as a phone's
 * user would), its WebSocket on wss:// by the page's own scheme, and TouchDesigner's stand-in on the plain
 * --local-port listener: phone → relay → sink end to end. Each page's knob takes the colour the relay gave it,
 * the same hue the sink gets in the user's connect.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { hasChromium } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { launchChromium, Sink } from './e2e-helpers.js';
import { watchProblems } from '../helpers/chromium.js';

const ID_KEY = 'tdcrowd.sliderId';

async function pageId(page: Page): Promise<string> {
  return until(() => page.evaluate((k) => sessionStorage.getItem(k), ID_KEY).then((v) => v ?? undefined), 'id in sessionStorage');
}

function apart(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

describe.skipIf(!hasChromium())('joystick page over https (self-signed), sink on the local port', () => {
  let browser: Browser;
  let relay: RelayHandle;
  let sink: Sink;

  beforeAll(async () => {
    relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, tlsSelfSigned: true, localPort: 0 });
    sink = await Sink.connect(relay.localUrl!);
    browser = await launchChromium();
  });

  afterAll(async () => {
    sink?.close();
    await browser?.close();
    await relay?.close();
  });

  it('two phones over wss reach the sink; each knob wears the hue its connect carries', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 800, height: 800 } });
    try {
      const problems: string[] = [];
      const open = async (): Promise<{ page: Page; id: string; hue: number }> => {
        const page = await context.newPage();
        watchProblems(page, problems);
        await page.goto(`${relay.httpUrl}/`);
        expect(await page.evaluate(() => location.protocol)).toBe('https:');
        await until(async () => (await page.locator('#state').getAttribute('data-state')) === 'live' || undefined, 'page live');
        const id = await pageId(page);
        const connect = await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, `connect of ${id} at the local sink`);
        expect(Number.isInteger(connect.hue)).toBe(true);
        const hue = connect.hue as number;
        await until(async () => (await page.locator('#knob').getAttribute('data-hue')) === String(hue) || undefined, 'knob hue');
        return { page, id, hue };
      };
      const a = await open();
      const b = await open();
      expect(a.id).not.toBe(b.id);
      // Consecutive joins are spread apart on the colour wheel (golden-angle steps).
      expect(apart(a.hue, b.hue)).toBeGreaterThanOrEqual(100);
      for (const p of [a, b]) {
        const look = await p.page.evaluate(() => {
          const style = getComputedStyle(document.getElementById('knob')!);
          return { hue: style.getPropertyValue('--hue').trim(), background: style.backgroundImage };
        });
        expect(look.hue).toBe(String(p.hue));
        // The knob's body is hsl(H 70% 45%), as the browser resolves it.
        expect(look.background).toContain(hslToRgbText(p.hue, 0.7, 0.45));
      }

      // Drag a's knob: the update reaches the sink on the plain local port.
      const box = (await a.page.locator('#pad').boundingBox())!;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      const from = sink.frames.length;
      await a.page.mouse.move(cx, cy);
      await a.page.mouse.down();
      await a.page.mouse.move(cx + box.width / 2, cy, { steps: 8 });
      const right = await sink.waitForMessage((m) => m.sliderId === a.id && m.type === undefined && (m.x as number) > 160, 'update at the right rim', from);
      expect(right.y as number).toBeCloseTo(0, 0);
      await a.page.mouse.up();
      await sink.waitForMessage((m) => m.sliderId === a.id && m.type === undefined && m.x === 0 && m.speed === 0, 'zero update on release', from);
      expect(relay.metrics().connections.controller).toBe(2);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

/** CSS hsl() to the rgb() text getComputedStyle gives (CSS Color 4's algorithm, rounded to whole channels). */
function hslToRgbText(h: number, s: number, l: number): string {
  const f = (n: number): number => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return `rgb(${f(0)}, ${f(8)}, ${f(4)})`;
}
