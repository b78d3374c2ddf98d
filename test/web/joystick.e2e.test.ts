/**
 * The joystick page in real Chromium against the real relay and a real sink: what a phone sends is what
 * TouchDesigner gets. Mouse and touch drags, one update per frame, zero on release, idle delete, relay
 * restart and resume take-over, relay errors shown without alerts, a screenshot for a human to look at.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { hasChromium } from '../helpers/requirements.js';
import { Peer } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { closePageRig, CuttableProxy, launchChromium, openPageRig, Sink } from './e2e-helpers.js';
import { watchProblems } from '../helpers/chromium.js';

const MOBILE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true } as const;
const DESKTOP = { viewport: { width: 1000, height: 800 } } as const;
const ID_KEY = 'tdcrowd.sliderId';
const RESUME_KEY = 'tdcrowd.resume';

type Msg = Record<string, unknown>;

interface Opened {
  page: Page;
  id: string;
  /** Uncaught errors, CSP violations and dialogs: all must stay empty. */
  problems: string[];
}

async function openPage(context: BrowserContext, url: string, waitLive = true): Promise<Opened> {
  const page = await context.newPage();
  const problems = watchProblems(page, []);
  await page.goto(url);
  if (waitLive) await waitForState(page, 'live');
  const id = await until(() => page.evaluate((k) => sessionStorage.getItem(k), ID_KEY).then((v) => v ?? undefined), 'id in sessionStorage');
  return { page, id, problems };
}

function waitForState(page: Page, state: string, timeoutMs = 15_000): Promise<true> {
  return until(
    async () => (await page.locator('#state').getAttribute('data-state')) === state || undefined,
    `page state ${state}`,
    timeoutMs,
  );
}

async function stored(page: Page, key: string): Promise<string | null> {
  return page.evaluate((k) => sessionStorage.getItem(k), key);
}

async function padGeometry(page: Page): Promise<{ cx: number; cy: number; r: number }> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('pad not visible');
  return { cx: box.x + box.width / 2, cy: box.y + box.height / 2, r: box.width / 2 };
}

async function knobCentre(page: Page): Promise<{ x: number; y: number }> {
  const box = await page.locator('#knob').boundingBox();
  if (!box) throw new Error('knob not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function readout(page: Page): Promise<{ x: string; y: string; speed: string; angle: string }> {
  return page.evaluate(() => {
    const t = (id: string): string => document.getElementById(id)?.textContent ?? '';
    return { x: t('x'), y: t('y'), speed: t('speed'), angle: t('angle') };
  });
}

function isUpdate(m: Msg): boolean {
  return m.type === undefined || m.type === 'update';
}

function isZeroUpdate(m: Msg): boolean {
  return isUpdate(m) && m.x === 0 && m.y === 0 && m.speed === 0 && m.angle === 0;
}

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

/** Every update the page sent is valid protocol, numbered in order and stamped with the sender clock. */
function expectWellFormed(updates: Msg[], since: number): void {
  let prevSeq = -1;
  for (const u of updates) {
    const r = parse(JSON.stringify(u), { origin: 'controller' });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(typeof u.seq).toBe('number');
    expect(u.seq as number).toBeGreaterThan(prevSeq);
    prevSeq = u.seq as number;
    expect(u.t as number).toBeGreaterThanOrEqual(since - 5);
    expect(u.t as number).toBeLessThanOrEqual(Date.now() + 5);
  }
}

async function installFrameCounter(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number };
    w.__frames = 0;
    const tick = (): void => {
      w.__frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

const CHROMIUM = hasChromium();

describe.skipIf(!CHROMIUM)('joystick page in Chromium against the relay', () => {
  let browser: Browser;
  let relay: RelayHandle;
  let sink: Sink;
  const logPath = join(tmpdir(), `tdcrowd-web-e2e-${process.pid}.jsonl`);

  beforeAll(async () => {
    // Text pings every 250 ms so the page's pong shows up in the log within the test.
    ({ relay, sink, browser } = await openPageRig({ textPingMs: 250, log: logPath }));
  });

  afterAll(async () => {
    await closePageRig({ relay, sink, browser });
    rmSync(logPath, { force: true });
  });

  it('mouse: drag right then up, one update per frame at most, zero update and knob back on release', async () => {
    const context = await browser.newContext(DESKTOP);
    try {
      const since = Date.now();
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/`);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect with the page id');
      expect(await page.locator('#state').textContent()).toBe('live');

      const g = await padGeometry(page);
      await installFrameCounter(page);
      const from = sink.frames.length;
      await page.mouse.move(g.cx, g.cy);
      await page.mouse.down();
      await page.mouse.move(g.cx + g.r, g.cy, { steps: 10 });
      const right = await sink.waitForMessage((m) => m.sliderId === id && isUpdate(m) && (m.x as number) > 168, 'update at the right rim', from);
      expect(right.x as number).toBeCloseTo(170, -0.5);
      expect(Math.abs(right.y as number)).toBeLessThan(2);
      expect(right.speed as number).toBeGreaterThan(98.5);
      expect(angleDiff(right.angle as number, 0)).toBeLessThan(1);

      // The readout shows what was sent.
      await until(async () => (await readout(page)).x === String(Math.round(right.x as number)) || undefined, 'readout x');
      expect(await readout(page)).toEqual({
        x: String(Math.round(right.x as number)),
        y: String(Math.round(right.y as number)),
        speed: String(Math.round(right.speed as number)),
        angle: String(Math.round(right.angle as number) % 360),
      });
      const knobRight = await knobCentre(page);
      expect(Math.abs(knobRight.x - (g.cx + g.r))).toBeLessThan(2);
      expect(Math.abs(knobRight.y - g.cy)).toBeLessThan(2);

      await page.mouse.move(g.cx, g.cy - g.r, { steps: 10 });
      const up = await sink.waitForMessage((m) => m.sliderId === id && isUpdate(m) && (m.y as number) < -168, 'update at the top', from);
      expect(angleDiff(up.angle as number, 90)).toBeLessThan(1);
      expect(Math.abs(up.x as number)).toBeLessThan(2);
      expect(up.speed as number).toBeGreaterThan(98.5);
      await until(async () => (await readout(page)).angle === '90' || undefined, 'readout angle 90');
      expect((await readout(page)).y).toBe('-170');

      const beforeRelease = sink.frames.length;
      await page.mouse.up();
      await sink.waitForMessage((m) => m.sliderId === id && isZeroUpdate(m), 'zero update on release', beforeRelease);
      const frames = await page.evaluate(() => (window as unknown as { __frames: number }).__frames);
      const updates = sink.frames.slice(from).map((f) => f.msg).filter((m) => m.sliderId === id && isUpdate(m));
      expect(updates.length).toBeGreaterThanOrEqual(4);
      expect(updates.length).toBeLessThanOrEqual(frames + 1);
      expect(updates.at(-1)).toMatchObject({ x: 0, y: 0, speed: 0, angle: 0, sliderId: id });
      // Moving right: x grows and y stays near 0; moving up: y goes negative.
      expect(updates.every((u) => (u.x as number) >= -1)).toBe(true);
      expect(updates.every((u) => (u.y as number) <= 1)).toBe(true);
      expectWellFormed(updates, since);

      await until(async () => {
        const k = await knobCentre(page);
        return (Math.abs(k.x - g.cx) < 1 && Math.abs(k.y - g.cy) < 1) || undefined;
      }, 'knob back at the centre');
      expect(await readout(page)).toEqual({ x: '0', y: '0', speed: '0', angle: '0' });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('coalesces a burst of pointer events into one update per animation frame (pen)', async () => {
    const context = await browser.newContext(DESKTOP);
    try {
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');
      const g = await padGeometry(page);
      const from = sink.frames.length;
      // 1 pointerdown and 60 pointermoves in one task, i.e. within one frame.
      await page.evaluate(({ cx, cy, r }) => {
        const pad = document.getElementById('pad')!;
        const init = (x: number, y: number): PointerEventInit => ({
          pointerId: 7, pointerType: 'pen', isPrimary: true, clientX: x, clientY: y, button: 0, buttons: 1, bubbles: true, cancelable: true,
        });
        pad.dispatchEvent(new PointerEvent('pointerdown', init(cx, cy)));
        for (let i = 1; i <= 60; i++) pad.dispatchEvent(new PointerEvent('pointermove', init(cx - (r * i) / 60, cy)));
      }, g);
      await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
      await page.evaluate(({ cx, cy }) => {
        document.getElementById('pad')!.dispatchEvent(
          new PointerEvent('pointerup', { pointerId: 7, pointerType: 'pen', isPrimary: true, clientX: cx, clientY: cy, bubbles: true }),
        );
      }, g);
      await sink.waitForMessage((m) => m.sliderId === id && isZeroUpdate(m), 'zero update', from);
      const updates = sink.frames.slice(from).map((f) => f.msg).filter((m) => m.sliderId === id && isUpdate(m));
      expect(updates).toHaveLength(2);
      expect(updates[0]).toMatchObject({ x: -170, y: 0, speed: 100, angle: 180 });
      expect(updates[1]).toMatchObject({ x: 0, y: 0, speed: 0, angle: 0 });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('touch on a phone-sized screen: first finger only, no scrolling or zoom, zero on release; screenshot', async () => {
    const context = await browser.newContext(MOBILE);
    try {
      const since = Date.now();
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');
      const g = await padGeometry(page);
      const cdp = await context.newCDPSession(page);
      const touch = (type: string, touchPoints: Array<{ x: number; y: number; id: number }>): Promise<unknown> =>
        cdp.send('Input.dispatchTouchEvent', { type: type as 'touchStart', touchPoints });
      const from = sink.frames.length;

      await touch('touchStart', [{ x: g.cx, y: g.cy, id: 1 }]);
      for (let i = 1; i <= 8; i++) await touch('touchMove', [{ x: g.cx - (g.r / 2) * (i / 8), y: g.cy + (g.r / 2) * (i / 8), id: 1 }]);
      const a = { x: g.cx - g.r / 2, y: g.cy + g.r / 2 };
      const downLeft = await sink.waitForMessage(
        (m) => m.sliderId === id && isUpdate(m) && Math.abs((m.x as number) + 85) < 1.5 && Math.abs((m.y as number) - 85) < 1.5,
        'update down-left',
        from,
      );
      expect(angleDiff(downLeft.angle as number, 225)).toBeLessThan(1);
      expect(downLeft.speed as number).toBeCloseTo(70.71, -0.5);

      // A second finger lands in the opposite quadrant and moves: the knob must not follow it.
      await touch('touchStart', [{ ...a, id: 1 }, { x: g.cx + g.r * 0.7, y: g.cy - g.r * 0.7, id: 2 }]);
      await touch('touchMove', [{ ...a, id: 1 }, { x: g.cx + g.r * 0.9, y: g.cy - g.r * 0.1, id: 2 }]);
      await touch('touchMove', [{ ...a, id: 1 }, { x: g.cx + g.r * 0.5, y: g.cy - g.r * 0.5, id: 2 }]);
      // First finger to the left rim.
      for (let i = 1; i <= 6; i++) {
        await touch('touchMove', [
          { x: a.x - (g.r / 2) * (i / 6), y: a.y - (g.r / 2) * (i / 6), id: 1 },
          { x: g.cx + g.r * 0.5, y: g.cy - g.r * 0.5, id: 2 },
        ]);
      }
      const left = await sink.waitForMessage((m) => m.sliderId === id && isUpdate(m) && (m.x as number) < -168, 'update at the left rim', from);
      expect(angleDiff(left.angle as number, 180)).toBeLessThan(1);

      // Hold it there for the screenshot: green pad, dark knob off-centre, readout, live state.
      await until(async () => (await readout(page)).x === String(Math.round(left.x as number)) || undefined, 'readout');
      mkdirSync('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/joystick.png' });

      const beforeRelease = sink.frames.length;
      await touch('touchEnd', []);
      await sink.waitForMessage((m) => m.sliderId === id && isZeroUpdate(m), 'zero update on release', beforeRelease);
      const updates = sink.frames.slice(from).map((f) => f.msg).filter((m) => m.sliderId === id && isUpdate(m));
      // Never towards the second finger (x > 0 or y < 0).
      expect(updates.filter((u) => (u.x as number) > 0.5 || (u.y as number) < -0.5)).toEqual([]);
      expectWellFormed(updates, since);
      expect(await page.evaluate(() => ({ sx: scrollX, sy: scrollY, scale: visualViewport?.scale ?? 1 }))).toEqual({ sx: 0, sy: 0, scale: 1 });
      await until(async () => (await readout(page)).speed === '0' || undefined, 'readout back to 0');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('idle: delete after the (test-shortened) idle time, connect again on the next movement', async () => {
    const context = await browser.newContext(DESKTOP);
    try {
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/?idle=1000`);
      const connect = await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');
      expect(connect).toEqual({ type: 'connect', sliderId: id, hue: expect.any(Number) });
      await sink.waitForMessage((m) => m.type === 'delete' && m.sliderId === id, 'idle delete');
      expect(sink.of(id).find((m) => m.type === 'delete')).toEqual({ type: 'delete', sliderId: id, reason: 'client' });
      await until(async () => (await page.locator('#state').textContent()) === 'live · idle' || undefined, 'idle shown');

      const g = await padGeometry(page);
      const from = sink.frames.length;
      await page.mouse.move(g.cx, g.cy);
      await page.mouse.down();
      await page.mouse.move(g.cx, g.cy + g.r / 2, { steps: 4 });
      await sink.waitForMessage((m) => m.sliderId === id && isUpdate(m) && (m.y as number) > 80, 'update down', from);
      const beforeRelease = sink.frames.length;
      await page.mouse.up();
      const zero = await sink.waitForMessage((m) => m.sliderId === id && isZeroUpdate(m), 'zero update', beforeRelease);
      const mine = sink.frames.slice(from).filter((f) => f.msg.sliderId === id);
      expect(mine[0]?.msg).toEqual({ type: 'connect', sliderId: id, hue: connect.hue }); // back before the first update, same colour
      expect(mine.slice(1).every((f) => isUpdate(f.msg) && (f.msg.y as number) >= 0 && f.msg.x === 0)).toBe(true);
      expect(await page.locator('#state').textContent()).toBe('live');
      const zeroAt = sink.frames.find((f) => f.msg === zero)!.at;

      const del = await sink.waitForMessage((m) => m.type === 'delete' && m.sliderId === id, 'second idle delete', from);
      const delAt = sink.frames.find((f) => f.msg === del)!.at;
      expect(delAt - zeroAt).toBeGreaterThanOrEqual(500); // it waited for the (1 s) idle time after the release, not sent at once
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows a refused claim as a quiet notice (no alert) and gets the id once it is free', async () => {
    const taken = 'TakenTakenTakenTaken01';
    const other = await Peer.open(relay.url);
    other.send({ type: 'connect', sliderId: taken });
    await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === taken, 'the other client holds the id');

    const context = await browser.newContext(DESKTOP);
    await context.addInitScript(
      ([k, v]) => {
        if (sessionStorage.getItem(k) === null) sessionStorage.setItem(k, v);
      },
      [ID_KEY, taken] as const,
    );
    try {
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/`, false);
      expect(id).toBe(taken);
      await until(async () => ((await page.locator('#notice').textContent()) ?? '').includes('id_taken') || undefined, 'notice');
      const notice = page.locator('#notice');
      expect(await notice.isVisible()).toBe(true);
      expect(await notice.textContent()).toMatch(/^id_taken: .*in use/);
      expect(await notice.evaluate((el) => el.children.length)).toBe(0);
      // Refused, the page steps back and retries later (0.5-1 s), so it does not sit in `live`; each retry opens a
      // socket again, so a single look could land on one of those moments: watch until it is seen off `live`.
      await until(async () => (await page.locator('#state').getAttribute('data-state')) !== 'live' || undefined, 'the refused page off live');

      const from = sink.frames.length;
      other.close();
      await sink.waitForMessage((m) => m.type === 'delete' && m.sliderId === taken, 'the other client left', from);
      await waitForState(page, 'live');
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === taken, 'the page claimed the id', from);
      expect(await stored(page, RESUME_KEY)).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(problems).toEqual([]);
    } finally {
      other.close();
      await context.close();
    }
  });

  it('a duplicated tab (same sessionStorage) takes the id over; the original tab continues as a new user', async () => {
    const context = await browser.newContext(DESKTOP);
    try {
      const a = await openPage(context, `${relay.httpUrl}/`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === a.id, 'tab A connected');
      const token = await until(() => stored(a.page, RESUME_KEY).then((t) => t ?? undefined), 'tab A token');
      // Browsers copy sessionStorage into a duplicated tab: B starts with A's id and token.
      const b = await context.newPage();
      await b.addInitScript(
        ([ik, iv, rk, rv]) => {
          if (sessionStorage.getItem(ik) === null) {
            sessionStorage.setItem(ik, iv);
            sessionStorage.setItem(rk, rv);
          }
        },
        [ID_KEY, a.id, RESUME_KEY, token] as const,
      );
      await b.goto(`${relay.httpUrl}/`);
      await waitForState(b, 'live');
      expect(await stored(b, ID_KEY)).toBe(a.id);

      const newId = await until(async () => {
        const v = await stored(a.page, ID_KEY);
        return v !== null && v !== a.id ? v : undefined;
      }, 'tab A renewed its id');
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === newId, 'tab A back as a new user');
      await waitForState(a.page, 'live');
      expect(await a.page.locator('#notice').textContent()).toMatch(/another tab/);
      expect(a.problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('answers the relay’s text ping with pong, and every frame it sent passed the relay', async () => {
    await until(() => {
      const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Msg);
      return lines.some((e) => e.dir === 'in' && e.role === 'controller' && e.msg === 'pong') || undefined;
    }, 'a pong from a page in the relay log');
    const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Msg);
    const fromPages = lines.filter((e) => e.dir === 'in' && e.role === 'controller');
    expect(fromPages.length).toBeGreaterThan(20);
    // Only the refused claim of the previous test (and the other client's frames) may be dropped.
    const drops = fromPages.filter((e) => e.drop !== undefined);
    expect(drops.every((e) => e.drop === 'id_taken')).toBe(true);
    expect(relay.metrics().dropped.schema ?? 0).toBe(0);
    expect(relay.metrics().dropped.rate_limited ?? 0).toBe(0);
  });
});

describe.skipIf(!CHROMIUM)('joystick page across relay restarts and network cuts', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows offline when the browser loses the network, and comes back with the same id; a reload keeps the id', async () => {
    const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    const sink = await Sink.connect(relay.url);
    const context = await browser.newContext(DESKTOP);
    try {
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/?idle=600000`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');
      await context.setOffline(true);
      await waitForState(page, 'offline');
      expect(await page.locator('#state').textContent()).toMatch(/offline/);
      await sink.waitForMessage((m) => m.type === 'delete' && m.sliderId === id, 'the relay saw the socket go');
      const from = sink.frames.length;
      await context.setOffline(false);
      await waitForState(page, 'live');
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect with the same id', from);

      const beforeReload = sink.frames.length;
      await page.reload();
      await waitForState(page, 'live');
      expect(await stored(page, ID_KEY)).toBe(id);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'same id after a reload', beforeReload);
      expect(problems).toEqual([]);
    } finally {
      sink.close();
      await context.close();
      await relay.close();
    }
  });

  it('reconnects after the relay restarts on the same port, with the same id', async () => {
    let relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    const port = relay.port;
    let sink = await Sink.connect(relay.url);
    const context = await browser.newContext(DESKTOP);
    try {
      const { page, id, problems } = await openPage(context, `${relay.httpUrl}/?idle=600000`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');
      const token1 = await until(() => stored(page, RESUME_KEY).then((t) => t ?? undefined), 'resume token');

      sink.close();
      await relay.close();
      await until(async () => ((await page.locator('#state').getAttribute('data-state')) !== 'live') || undefined, 'page noticed');
      expect(['reconnecting', 'unreachable']).toContain(await page.locator('#state').getAttribute('data-state'));

      relay = await startRelay({ port, host: '127.0.0.1', quiet: true });
      sink = await Sink.connect(relay.url);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect with the same id after the restart', 0, 20_000);
      await waitForState(page, 'live');
      expect(await stored(page, ID_KEY)).toBe(id);
      const token2 = await until(async () => {
        const t = await stored(page, RESUME_KEY);
        return t !== null && t !== token1 ? t : undefined;
      }, 'a fresh resume token from the new relay');
      expect(token2).toMatch(/^[A-Za-z0-9_-]{16,}$/);

      const g = await padGeometry(page);
      await page.mouse.move(g.cx, g.cy);
      await page.mouse.down();
      await page.mouse.move(g.cx + g.r / 2, g.cy, { steps: 3 });
      const u = await sink.waitForMessage((m) => m.sliderId === id && isUpdate(m) && (m.x as number) > 80, 'update after the restart');
      expect(u.x as number).toBeCloseTo(85, -0.5);
      const beforeRelease = sink.frames.length;
      await page.mouse.up();
      await sink.waitForMessage((m) => m.sliderId === id && isZeroUpdate(m), 'zero update', beforeRelease);
      expect(problems).toEqual([]);
    } finally {
      sink.close();
      await context.close();
      await relay.close();
    }
  });

  it('takes its id back with the resume token when the network drops but the relay still holds the old socket', async () => {
    // Long heartbeat: the relay cannot notice the dead socket during the test, so only the resume token can win.
    const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, heartbeatMs: 120_000 });
    const proxy = await CuttableProxy.start(relay.port);
    const sink = await Sink.connect(relay.url);
    const context = await browser.newContext(DESKTOP);
    try {
      const { page, id, problems } = await openPage(context, `http://127.0.0.1:${proxy.port}/?idle=600000`);
      await sink.waitForMessage((m) => m.type === 'connect' && m.sliderId === id, 'connect');
      const token1 = await until(() => stored(page, RESUME_KEY).then((t) => t ?? undefined), 'resume token');
      await until(() => proxy.websockets === 1 || undefined, 'websocket through the proxy');

      expect(proxy.cutWebsockets()).toBe(1);
      await until(async () => ((await page.locator('#state').getAttribute('data-state')) !== 'live') || undefined, 'page noticed the cut');
      await waitForState(page, 'live');
      const token2 = await until(async () => {
        const t = await stored(page, RESUME_KEY);
        return t !== null && t !== token1 ? t : undefined;
      }, 'welcome after the take-over');
      expect(token2).not.toBe(token1);
      expect(await stored(page, ID_KEY)).toBe(id);
      // A welcome while the old socket still held the id can only be a take-over: the claim was not refused.
      expect(relay.metrics().dropped.id_taken ?? 0).toBe(0);
      expect(relay.metrics().dropped.bad_resume ?? 0).toBe(0);

      const g = await padGeometry(page);
      await page.mouse.move(g.cx, g.cy);
      await page.mouse.down();
      await page.mouse.move(g.cx, g.cy + g.r, { steps: 3 });
      const u = await sink.waitForMessage((m) => m.sliderId === id && isUpdate(m) && (m.y as number) > 168, 'update after the resume');
      expect(angleDiff(u.angle as number, 270)).toBeLessThan(1);
      const beforeRelease = sink.frames.length;
      await page.mouse.up();
      await sink.waitForMessage((m) => m.sliderId === id && isZeroUpdate(m), 'zero update', beforeRelease);
      // The row never left TouchDesigner.
      expect(sink.of(id).filter((m) => m.type === 'delete')).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      sink.close();
      await context.close();
      await proxy.close();
      await relay.close();
    }
  });
});
