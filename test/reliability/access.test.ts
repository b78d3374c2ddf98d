/**
 * Access (README, "Reliability"; docs/protocol.md, "Identity"): no token, no data; a phone cannot move or delete another phone's user even knowing its id;
 * a resume token takes an id over and the old socket is told why; the Origin allow-list holds; nothing the relay
 * serves or says turns an id or a message into markup (checked over HTTP and in real Chromium).
 */
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RelayHandle, RelayOptions } from '../../src/relay/index.js';
import { hasChromium } from '../helpers/requirements.js';
import { launchChromium, watchProblems } from '../helpers/chromium.js';
import { recordFigures } from '../helpers/figures.js';
import { tableOf, update, sinkConnect } from '../helpers/messages.js';
import { useCleanups } from '../helpers/cleanup.js';
import { claim, Peer } from '../helpers/peers.js';
import { startQuiet } from '../helpers/relay.js';
import { sleep, until } from '../helpers/wait.js';

const TOKEN = 'right-sink-token-0123456789';

const cleanups = useCleanups();

async function relayWith(options: Partial<RelayOptions>): Promise<RelayHandle> {
  const relay = await startQuiet(options);
  cleanups.push(() => relay.close());
  return relay;
}

async function open(url: string, options?: ConstructorParameters<typeof Peer>[1]): Promise<Peer> {
  const p = await Peer.open(url, options);
  cleanups.push(() => p.terminate());
  return p;
}

/** JSON frames other than the relay's error replies (what a connection must never get without the token). */
const data = (p: Peer): unknown[] => p.frames.filter((f) => typeof f !== 'string' && (f as { type?: string }).type !== 'error');

describe('sink token', () => {
  for (const mode of ['route', 'broadcast'] as const) {
    it(`${mode} mode: without the right token no hello is admitted and no data flows`, async () => {
      const relay = await relayWith({ sinkToken: TOKEN, mode, textPingMs: 100 });
      const phones = await Promise.all([0, 1, 2].map((i) => claim(relay.url, `phone-${i}`)));
      phones.forEach((p) => cleanups.push(() => p.terminate()));
      phones.forEach((p, i) => p.send(update(`phone-${i}`, i, i)));

      const silent = await open(relay.url); // never says anything
      const attempts: { name: string; hello: Record<string, unknown> }[] = [
        { name: 'no token', hello: { type: 'hello', role: 'sink' } },
        { name: 'wrong token', hello: { type: 'hello', role: 'sink', token: 'wrong-sink-token-0123456789' } },
        { name: 'prefix of the token', hello: { type: 'hello', role: 'sink', token: TOKEN.slice(0, -1) } },
        { name: 'token plus a character', hello: { type: 'hello', role: 'sink', token: `${TOKEN}x` } },
        { name: 'token in another case', hello: { type: 'hello', role: 'sink', token: TOKEN.toUpperCase() } },
        { name: 'batching, no token', hello: { type: 'hello', role: 'sink', batchHz: 30 } },
      ];
      const refused: Peer[] = [];
      for (const a of attempts) {
        const p = await open(relay.url);
        p.send(a.hello);
        p.send({ type: 'hello', role: 'sink', token: TOKEN }); // a second try on the same socket changes nothing
        refused.push(p);
      }
      for (const [i, p] of refused.entries()) {
        await p.waitClosed();
        expect(p.closeCode, attempts[i]!.name).toBe(4001);
      }
      // a controller cannot turn itself into a sink
      phones[0]!.send({ type: 'hello', role: 'sink', token: TOKEN });

      // the real sink, admitted with the right token, gets the snapshot; from another address, since the failed
      // hellos above put 127.0.0.1 in back-off (even the right token waits there)
      const ok = await open(relay.url, { localAddress: '127.0.0.2' });
      ok.send({ type: 'hello', role: 'sink', token: TOKEN });
      await until(() => tableOf(ok.messages).size === 3, 'the admitted sink gets the snapshot');
      // traffic while the others listen: moves, a leave, a join
      phones.forEach((p, i) => p.send(update(`phone-${i}`, 50 + i, 0)));
      phones[2]!.send({ type: 'delete', sliderId: 'phone-2' });
      const late = await claim(relay.url, 'late');
      cleanups.push(() => late.terminate());
      late.send(update('late', 1, 1));
      await until(() => tableOf(ok.messages).has('late') && !tableOf(ok.messages).has('phone-2'), 'the admitted sink sees the traffic');
      await until(() => silent.texts.includes('ping'), 'a keep-alive to show the silent connection is live');

      expect(data(silent), 'silent connection').toEqual([]);
      for (const [i, p] of refused.entries()) {
        expect(data(p), attempts[i]!.name).toEqual([]);
        expect(p.texts.filter((t) => t !== 'ping').map((t) => JSON.parse(t) as { code: string }).map((e) => e.code)).toEqual(['unauthorized']);
      }
      if (mode === 'route') {
        // phones get only their welcome, whether a show listens (status), an error for the hello and keep-alives
        for (const p of phones) expect(p.messages.every((m) => m.type === 'welcome' || m.type === 'error' || m.type === 'status')).toBe(true);
        expect(phones[0]!.messages.filter((m) => m.type === 'error').map((m) => m.code)).toEqual(['wrong_direction']);
      }
      const m = relay.metrics();
      expect(m.connections.sink).toBe(1);
      // each refused hello, and the retry on its refused socket, counted
      expect(m.dropped.unauthorized).toBe(2 * attempts.length);
      expect(m.dropped.wrong_direction).toBe(1);
      recordFigures('access', { [`sinkToken_${mode}_refusedHellos`]: attempts.length });
    });
  }
});

describe('sink token in broadcast mode', () => {
  it('claiming an id is no way around the token: a tokenless phone gets no other user\'s data', async () => {
    const relay = await relayWith({ sinkToken: TOKEN, mode: 'broadcast' });
    const ok = await open(relay.url);
    ok.send({ type: 'hello', role: 'sink', token: TOKEN });
    await until(() => relay.metrics().connections.sink === 1, 'the sink admitted');
    const phone = await claim(relay.url, 'phone');
    cleanups.push(() => phone.terminate());
    // an eavesdropper with no token: one connect and it is a "phone" like any other
    const eavesdropper = await claim(relay.url, 'eavesdropper');
    cleanups.push(() => eavesdropper.terminate());
    phone.send(update('phone', 12, 34, { seq: 1 }));
    phone.send({ type: 'delete', sliderId: 'phone' });
    await until(() => ok.ofType('delete').some((d) => d.sliderId === 'phone'), 'the admitted sink got the traffic');
    await sleep(200);
    const leaked = eavesdropper.messages.filter((m) => m.sliderId === 'phone');
    expect(leaked, 'frames of another user delivered to a connection without the sink token').toEqual([]);
  });
});

describe('identity: knowing an id is not enough', () => {
  it('a phone cannot send for, move or delete another id; the victim row at the sink is untouched', async () => {
    // Every attacker here comes from 127.0.0.1: the per-address cap is not this test's subject.
    const relay = await relayWith({ maxPerAddress: 100 });
    const s = await open(relay.url);
    s.send({ type: 'hello', role: 'sink' });
    await until(() => relay.metrics().connections.sink === 1, 'sink admitted');
    const victims: Record<string, Peer> = {};
    for (const id of ['victim', 5] as const) {
      const v = await claim(relay.url, id);
      cleanups.push(() => v.terminate());
      victims[String(id)] = v;
      v.send(update(id, 42, -42, { seq: 1 }));
    }
    await until(() => tableOf(s.messages).get('5')?.seq === 1 && tableOf(s.messages).get('victim')?.seq === 1, 'victim rows');
    const attacker = await claim(relay.url, 'attacker');
    const attackerToken = attacker.resume;
    cleanups.push(() => attacker.terminate());

    const expected: Record<string, number> = {};
    const count = (reason: string, n = 1): void => void (expected[reason] = (expected[reason] ?? 0) + n);
    for (const id of ['victim', 5, '5']) {
      // from a connection that holds another id
      attacker.send(update(id, -170, 170));
      attacker.send({ type: 'delete', sliderId: id });
      attacker.send({ type: 'connect', sliderId: id });
      attacker.send({ type: 'connect', sliderId: id, resume: attackerToken });
      count('id_mismatch', 4);
      // from fresh connections that hold nothing
      const fresh = await open(relay.url);
      fresh.send({ type: 'connect', sliderId: id });
      fresh.send(update(id, -170, 170));
      count('id_taken', 2);
      fresh.send({ type: 'delete', sliderId: id });
      count('not_connected');
      fresh.send({ type: 'connect', sliderId: id, resume: attackerToken });
      fresh.send({ type: 'connect', sliderId: id, resume: 'A'.repeat(24) });
      count('bad_resume', 2);
      const other = await open(relay.url);
      other.send({ type: 'delete', sliderId: id });
      count('not_connected');
      other.send(update(id, 1, 1, { type: 'update' }));
      count('id_taken');
    }
    // the victim idles (its own delete): the id is still held by its socket, so still not free to claim
    victims.victim!.send({ type: 'delete', sliderId: 'victim' });
    await until(() => s.ofType('delete').some((d) => d.sliderId === 'victim'), "the victim's own delete");
    const thief = await open(relay.url);
    thief.send({ type: 'connect', sliderId: 'victim' });
    count('id_taken');
    victims.victim!.send(update('victim', 7, 7, { seq: 2 }));
    await until(() => tableOf(s.messages).get('victim')?.seq === 2, 'the victim moves again');

    await until(() => Object.entries(expected).every(([r, n]) => (relay.metrics().dropped[r] ?? 0) >= n), 'every spoof counted');
    await sleep(100);
    const dropped = relay.metrics().dropped;
    for (const [r, n] of Object.entries(expected)) expect(dropped[r], r).toBe(n);

    // at the sink: only what the victims themselves sent
    const forVictim = (id: string): Record<string, unknown>[] => s.messages.filter((m) => String(m.sliderId) === id);
    expect(forVictim('5')).toEqual([sinkConnect(5), update(5, 42, -42, { seq: 1 })]);
    expect(forVictim('victim')).toEqual([
      sinkConnect('victim'),
      update('victim', 42, -42, { seq: 1 }),
      { type: 'delete', sliderId: 'victim', reason: 'client' },
      sinkConnect('victim'),
      update('victim', 7, 7, { seq: 2 }),
    ]);
    for (const v of Object.values(victims)) expect(v.messages.map((m) => m.type)).toEqual(['welcome']);
    expect(s.messages.filter((m) => m.type === undefined && m.x === -170)).toEqual([]);
    recordFigures('access', { spoofAttemptsRefused: Object.values(expected).reduce((a, b) => a + b, 0), spoofByReason: expected });
  });

  it('the right resume token takes a live id over; the old socket is closed and told why; the old token is spent', async () => {
    const relay = await relayWith({});
    const s = await open(relay.url);
    s.send({ type: 'hello', role: 'sink' });
    await until(() => relay.metrics().connections.sink === 1, 'sink admitted');
    const first = await claim(relay.url, 'phone');
    cleanups.push(() => first.terminate());
    first.send(update('phone', 10, 10, { seq: 1 }));
    await until(() => tableOf(s.messages).get('phone')?.seq === 1, 'the first socket streaming');

    const second = await open(relay.url);
    second.send({ type: 'connect', sliderId: 'phone', resume: first.resume });
    const welcome = await until(() => second.messages.find((m) => m.type === 'welcome'), 'welcome on the new socket');
    expect(welcome.sliderId).toBe('phone');
    expect(welcome.resume).not.toBe(first.resume);
    await first.waitClosed();
    expect(first.closeCode).toBe(4000);
    expect(first.closeReason).toMatch(/taken over/);
    second.send(update('phone', 20, 20, { seq: 2 }));
    await until(() => tableOf(s.messages).get('phone')?.seq === 2, 'the new socket steers the row');
    // the row never left the sink: no delete, no second connect
    expect(s.messages.filter((m) => m.sliderId === 'phone').map((m) => m.type ?? 'update')).toEqual(['connect', 'update', 'update']);

    // the spent token opens nothing
    const replay = await open(relay.url);
    replay.send({ type: 'connect', sliderId: 'phone', resume: first.resume });
    const err = await until(() => replay.messages.find((m) => m.type === 'error'), 'the replayed token refused');
    expect(err.code).toBe('bad_resume');
    // the fresh one works once more
    const third = await open(relay.url);
    third.send({ type: 'connect', sliderId: 'phone', resume: welcome.resume });
    await until(() => third.messages.some((m) => m.type === 'welcome'), 'the fresh token takes over again');
    await second.waitClosed();
    expect(second.closeCode).toBe(4000);
    third.terminate();
    await until(() => s.ofType('delete').some((d) => d.sliderId === 'phone'), 'delete once the last holder is gone');
    expect(s.ofType('delete')).toEqual([{ type: 'delete', sliderId: 'phone', reason: 'closed' }]);
  });
});

describe('limits hold', () => {
  it('a taken-over phone that never answers the close does not keep a controller slot', async () => {
    const HB = 200;
    const relay = await relayWith({ maxControllers: 2, heartbeatMs: HB });
    // a phone goes to sleep (its socket frozen), wakes up on a new socket and takes its id back
    const asleep = await claim(relay.url, 'sleeper');
    cleanups.push(() => asleep.terminate());
    asleep.socket.pause();
    const awake = await open(relay.url);
    awake.send({ type: 'connect', sliderId: 'sleeper', resume: asleep.resume });
    await until(() => awake.messages.some((m) => m.type === 'welcome'), 'the take-over');
    // one user, one live socket: within two heartbeats the relay counts one controller, and a second phone fits
    await until(() => relay.metrics().connections.controller === 1, 'the frozen, taken-over socket no longer counted', 2 * HB + 1500);
    const other = await open(relay.url);
    other.send({ type: 'connect', sliderId: 'second-phone' });
    await until(() => other.messages.some((m) => m.type === 'welcome' || m.type === 'error'), 'an answer to the second phone');
    // (no sink here: the welcome is followed by a status saying nobody listens)
    expect(other.messages.map((m) => m.type)).toEqual(['welcome', 'status']);
    expect(relay.metrics().dropped.server_full).toBe(0);
  });
});

describe('origin allow-list', () => {
  it('refuses a browser from any other origin with 403 and counts it', async () => {
    const relay = await relayWith({ origins: ['https://show.example.org'] });
    const refusedOrigins = [
      'https://evil.example',
      'https://show.example.org.evil.example',
      'https://evil.example/https://show.example.org',
      'http://show.example.org',
      'https://show.example.org:8443',
      'https://sub.show.example.org',
      'null',
      'file://',
    ];
    for (const origin of refusedOrigins) {
      await expect(Peer.open(relay.url, { origin }), origin).rejects.toThrow(/HTTP 403/);
    }
    for (const origin of ['https://show.example.org', 'HTTPS://SHOW.EXAMPLE.ORG', 'https://show.example.org/']) {
      const p = await open(relay.url, { origin });
      p.send({ type: 'connect', sliderId: `ok-${origin.length}-${origin.charCodeAt(0)}` });
      await until(() => p.messages.some((m) => m.type === 'welcome'), `welcome from ${origin}`);
    }
    // native clients (TouchDesigner) send no Origin
    const native = await open(relay.url);
    native.send({ type: 'hello', role: 'sink' });
    await until(() => relay.metrics().connections.sink === 1, 'a client without Origin admitted');
    expect(relay.metrics().dropped.origin).toBe(refusedOrigins.length);
    recordFigures('access', { originRefused: refusedOrigins.length });
  });
});

describe('markup from ids and messages', () => {
  const evil = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"];

  it('nothing the relay serves reflects a path, query or id as HTML', async () => {
    const relay = await relayWith({});
    // ids that are markup are refused as schema errors, so they never reach a sink, a page or a log as ids
    const s = await open(relay.url);
    s.send({ type: 'hello', role: 'sink' });
    for (const id of evil) {
      const p = await open(relay.url);
      p.send({ type: 'connect', sliderId: id });
      const e = await until(() => p.messages.find((m) => m.type === 'error'), 'error for a markup id');
      expect(e.code).toBe('schema');
      expect(String(e.message)).not.toContain('<');
    }
    const paths = [
      '/',
      `/?id=${encodeURIComponent(evil[0]!)}`,
      `/${evil[0]}`,
      `/${encodeURIComponent(evil[1]!)}`,
      `/healthz?x=${encodeURIComponent(evil[0]!)}`,
      `/metrics?x=${encodeURIComponent(evil[2]!)}`,
      '/%3Cscript%3Ealert(1)%3C/script%3E',
      '/index.html/..%2f..%2fetc%2fpasswd',
    ];
    for (const path of paths) {
      const res = await fetch(`${relay.httpUrl}${path.replace(/ /g, '%20')}`);
      const body = await res.text();
      const type = res.headers.get('content-type') ?? '';
      for (const e of evil) expect(body, path).not.toContain(e);
      expect(body, path).not.toMatch(/alert\(1\)|onerror|onload/);
      if (type.startsWith('text/html')) {
        // the page: served as a fixed asset with a CSP that forbids inline script
        expect(res.status).toBe(200);
        expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
        expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      } else {
        expect(type, path).toMatch(/^(application\/json|text\/plain)/);
      }
    }
    expect(JSON.parse(await (await fetch(`${relay.httpUrl}/healthz`)).text())).toMatchObject({ ok: true });
    expect(s.messages).toEqual([]); // no markup id ever reached the sink
  });

  it.skipIf(!hasChromium())('in Chromium, a relay error carrying markup is shown as text and runs nothing', async () => {
    const relay = await relayWith({});
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await (await browser.newContext({ viewport: { width: 800, height: 800 } })).newPage();
    const problems = watchProblems(page, []);
    const markup = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b id=injected>b</b>';
    // Pass the page's frames through, and after its connect slip in one with a property named with markup:
    // the real relay then answers with an error whose message quotes that name.
    let injected = false;
    await page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((msg) => {
        server.send(msg);
        if (injected || typeof msg !== 'string' || !msg.includes('"connect"')) return;
        injected = true;
        const id = (JSON.parse(msg) as { sliderId: string }).sliderId;
        server.send(JSON.stringify({ type: 'connect', sliderId: id, [markup]: 1 }));
      });
    });
    await page.goto(`${relay.httpUrl}/?idle=600000`);
    const notice = await until(async () => {
      const t = (await page.locator('#notice').textContent()) ?? '';
      return t.includes('schema') && t;
    }, 'the relay error shown on the page');
    expect(injected).toBe(true);
    expect(notice).toContain(markup); // shown literally
    await sleep(300);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('#notice img, #notice script, #injected').count()).toBe(0);
    expect(await page.evaluate(() => document.querySelectorAll('img[src="x"], #injected').length)).toBe(0);
    expect(await page.locator('#state').getAttribute('data-state')).toBe('live');
    expect(problems).toEqual([]);
  }, 45_000);
});
