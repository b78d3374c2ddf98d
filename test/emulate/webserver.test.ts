/**
 * --target webserver: the generated Web Server DAT callbacks in the emulator, phones as client addresses. The
 * relay's rules with no relay: identity with welcome and resume token, take-over, deletes on close, on a missed
 * heartbeat and after silence, a token bucket per connection, hostile input counted and ignored, the server's
 * start and stop clearing every connection (whether or not onWebSocketClose fires), the page served over HTTP,
 * and a per-message cost that does not grow with the crowd.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VARIANT_MATRIX } from '../../src/emulate/variants.js';
import { renderScripts, resolveOptions } from '../../src/generate/index.js';
import { hasPython } from '../helpers/requirements.js';
import { byUser, startServerHarness, update, type ServerHarness } from './harness.js';
import { corpus } from './hostile-corpus.js';

const constant = (name: string): number =>
  Number(new RegExp(`^${name} = ([0-9.]+)`, 'm').exec(renderScripts(resolveOptions({ target: 'webserver' }))[0]!.text)?.[1]);
const BURST = constant('BURST');
const HEARTBEAT_S = constant('HEARTBEAT_S');

type Sent = { kind: string; data: unknown }[];
const texts = (sent: Sent): unknown[] => sent.filter((m) => m.kind === 'text').map((m) => m.data);
const welcome = (sent: Sent): { sliderId: unknown; resume: string } | undefined =>
  texts(sent).find((d) => (d as { type?: string }).type === 'welcome') as { sliderId: unknown; resume: string } | undefined;
const errors = (sent: Sent): string[] =>
  texts(sent).flatMap((d) => ((d as { type?: string }).type === 'error' ? [(d as { code: string }).code] : []));

describe.skipIf(!hasPython())('Web Server DAT target', () => {
  let h: ServerHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  describe.each(VARIANT_MATRIX)('$name', ({ variants }) => {
    it("plays a phone's session: welcome, updates, idle delete, back, close", async () => {
      h = await startServerHarness({ extraColumns: 'slot' }, { variants });
      await h.open('10.0.0.5:50001');
      await h.send('10.0.0.5:50001', { type: 'connect', sliderId: 'phoneA' }, update('phoneA', 12.5, -30, 19, 112.6));
      const w = welcome(await h.sent('10.0.0.5:50001'));
      expect(w?.sliderId).toBe('phoneA');
      expect(w?.resume).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
      expect(byUser(await h.rows(), ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']).get('phoneA')).toEqual(['12.5', '-30', '19', '112.6', '0']);
      // the page's idle delete: the row goes, the connection keeps its id
      await h.send('10.0.0.5:50001', { type: 'delete', sliderId: 'phoneA' });
      expect((await h.rows()).length).toBe(1);
      await h.send('10.0.0.5:50001', { type: 'connect', sliderId: 'phoneA' }, update('phoneA', 1, 2, 3, 4));
      expect(welcome(await h.sent('10.0.0.5:50001'))).toBeUndefined(); // no second claim
      expect(byUser(await h.rows(), ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']).get('phoneA')).toEqual(['1', '2', '3', '4', '0']);
      // the socket closes: the row goes and the id is free for anyone
      await h.close('10.0.0.5:50001');
      expect((await h.rows()).length).toBe(1);
      await h.open('10.0.0.6:50002');
      await h.send('10.0.0.6:50002', update('phoneA', 5, 5, 5, 5));
      expect(welcome(await h.sent('10.0.0.6:50002'))?.sliderId).toBe('phoneA');
      expect([...byUser(await h.rows(), ['user', 'valuex', 'valuey', 'speed', 'angle', 'slot']).keys()]).toEqual(['phoneA']);
      const s = await h.state();
      expect(s.errors).toEqual([]);
      expect(s.stats).toMatchObject({ ignored: {} });
    });

    it('an id held by a live phone moves only with its resume token (take-over keeps the row)', async () => {
      h = await startServerHarness({}, { variants });
      await h.open('a:1');
      await h.send('a:1', { type: 'connect', sliderId: 7 }, update(7, 10, 10, 10, 10));
      const token = welcome(await h.sent('a:1'))!.resume;
      await h.open('b:2');
      // guessing the id is not enough: no token, a wrong token, a malformed one
      await h.send('b:2', update(7, 1, 1, 1, 1), { type: 'delete', sliderId: 7 });
      await h.emu.request('advance', { seconds: 1.1 });
      await h.send('b:2', { type: 'connect', sliderId: 7, resume: 'x'.repeat(24) });
      await h.emu.request('advance', { seconds: 1.1 });
      await h.send('b:2', { type: 'connect', sliderId: 7, resume: 'bad token!' });
      expect(errors(await h.sent('b:2'))).toEqual(['id_taken', 'bad_resume', 'bad_resume']);
      expect(byUser(await h.rows()).get('7')).toEqual(['10', '10', '10', '10']);
      // with the token: b takes 7 over, a is closed, the row stays, b gets a fresh token
      await h.send('b:2', { type: 'connect', sliderId: 7, resume: token });
      const w = welcome(await h.sent('b:2'));
      expect(w?.sliderId).toBe(7);
      expect(w?.resume).not.toBe(token);
      expect((await h.sent('a:1')).map((m) => m.kind)).toEqual(['close']);
      expect(byUser(await h.rows()).get('7')).toEqual(['10', '10', '10', '10']);
      await h.close('a:1'); // the old socket's close arrives late: it speaks for nobody
      await h.emu.request('step');
      expect(byUser(await h.rows()).get('7')).toEqual(['10', '10', '10', '10']);
      await h.emu.request('advance', { seconds: 1.1 });
      await h.send('b:2', update('7', 20, 20, 20, 20), update(8, 1, 1, 1, 1));
      expect(byUser(await h.rows()).get('7')).toEqual(['20', '20', '20', '20']);
      expect(errors(await h.sent('b:2'))).toEqual(['id_mismatch']);
      expect(byUser(await h.rows()).has('8')).toBe(false);
      const s = await h.state();
      expect(s.errors).toEqual([]);
      expect(s.stats?.ignored).toEqual({ id_taken: 1, not_connected: 1, bad_resume: 2, id_mismatch: 1 });
    });

    it('rate-limits each phone with a token bucket and answers with at most one error a second', async () => {
      h = await startServerHarness({}, { variants });
      await h.open('flood:1');
      await h.open('calm:2');
      await h.send('flood:1', ...Array.from({ length: 600 }, (_, i) => update('f', i % 170, 0, 0, 0)));
      await h.send('calm:2', update('c', 1, 1, 1, 1));
      let s = await h.state();
      expect(s.stats?.ignored.rate_limited).toBe(600 - BURST);
      expect(byUser(s.table).get('f')?.[0]).toBe(String((BURST - 1) % 170));
      expect(byUser(s.table).get('c')).toEqual(['1', '1', '1', '1']);
      expect(errors(await h.sent('flood:1'))).toEqual(['rate_limited']);
      expect(errors(await h.sent('calm:2'))).toEqual([]);
      // the bucket refills at the rate
      await h.emu.request('advance', { seconds: 0.5, dt: 0.05 });
      await h.send('flood:1', ...Array.from({ length: 100 }, () => update('f', 5, 5, 5, 5)));
      s = await h.state();
      expect(s.stats?.ignored.rate_limited).toBeGreaterThan(600 - BURST);
      expect(byUser(s.table).get('f')).toEqual(['5', '5', '5', '5']);
      expect(s.errors).toEqual([]);
    });

    it('closes phones that miss the heartbeat and deletes their users; answering ones stay', async () => {
      h = await startServerHarness({ timeout: 0 }, { variants });
      for (const c of ['mute:1', 'pong:2', 'text:3']) {
        await h.open(c);
        await h.send(c, update(c.split(':')[0]!, 1, 1, 1, 1));
      }
      for (let beat = 0; beat < 3; beat++) {
        await h.emu.request('advance', { seconds: HEARTBEAT_S, dt: 0.1 });
        await h.emu.request('ws_pong', { client: 'pong:2', queued: false });
        await h.send('text:3', 'pong');
      }
      const s = await h.state();
      expect([...byUser(s.table).keys()].sort()).toEqual(['pong', 'text']);
      expect(s.server?.clients.sort()).toEqual(['pong:2', 'text:3']);
      const toMute = await h.sent('mute:1');
      expect(toMute.map((m) => m.kind)).toEqual(['text', 'ping', 'text', 'close']); // welcome, ping + "ping", close
      expect(s.errors).toEqual([]);
    });

    it('prunes users silent for longer than the timeout, timeline paused or not', async () => {
      h = await startServerHarness({ timeout: 3 }, { variants });
      await h.open('p:1');
      await h.open('q:2');
      await h.send('p:1', update('p', 1, 1, 1, 1));
      await h.send('q:2', update('q', 1, 1, 1, 1));
      await h.emu.request('pause');
      await h.emu.request('advance', { seconds: 2, dt: 0.05 });
      await h.send('q:2', update('q', 2, 2, 2, 2));
      await h.emu.request('advance', { seconds: 1.5, dt: 0.05 });
      expect([...byUser(await h.rows()).keys()]).toEqual(['q']);
      expect((await h.state()).errors).toEqual([]);
    });

    it('forgets every phone when the server stops or restarts, whether or not onWebSocketClose fires', async () => {
      h = await startServerHarness({}, { variants });
      await h.open('a:1');
      await h.open('b:2');
      await h.send('a:1', update('a', 1, 1, 1, 1));
      await h.send('b:2', update('b', 2, 2, 2, 2));
      await h.emu.request('set_par', { op: 'webserver1', name: 'active', value: false });
      let s = await h.state();
      expect(byUser(s.table).size).toBe(0);
      expect(s.server?.running).toBe(false);
      await h.emu.request('set_par', { op: 'webserver1', name: 'active', value: true });
      await h.open('a:3');
      await h.send('a:3', update('b', 3, 3, 3, 3)); // b's id is free again
      expect(welcome(await h.sent('a:3'))?.sliderId).toBe('b');
      await h.emu.request('pulse', { op: 'webserver1', name: 'restart' });
      s = await h.state();
      expect(byUser(s.table).size).toBe(0);
      expect(s.server).toMatchObject({ running: true, clients: [], starts: 3, stops: 2 });
      expect(s.errors).toEqual([]);
    });
  });

  it('serves the joystick page the relay serves, with its security headers', async () => {
    h = await startServerHarness();
    const get = async (uri: string, method = 'GET'): Promise<Record<string, unknown>> =>
      (await h!.emu.request<{ response: Record<string, unknown> }>('http', { method, uri })).response;
    const page = await get('/');
    expect(page).toMatchObject({ statusCode: 200, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    expect(page['content-security-policy']).toMatch(/default-src 'none'/);
    expect(String(page.data)).toContain('<script type="module" src="/client/main.js"></script>');
    const main = await get('/client/main.js');
    expect(main).toMatchObject({ statusCode: 200, 'content-type': 'text/javascript; charset=utf-8' });
    expect(String(main.data)).toContain("from './config.js'");
    expect((await get('/index.html')).data).toBe(page.data);
    expect(await get('/joystick.css')).toMatchObject({ statusCode: 200 });
    expect(await get('/../etc/passwd')).toMatchObject({ statusCode: 404 });
    expect(await get('/', 'POST')).toMatchObject({ statusCode: 405 });
    expect(await get('/', 'HEAD')).toMatchObject({ statusCode: 200, data: '' });
    expect((await h.state()).errors).toEqual([]);
  });

  it('status() in the Textport says how many phones are connected and what looks wrong', async () => {
    h = await startServerHarness();
    await h.open('a:1');
    await h.send('a:1', update('a', 1, 1, 1, 1), 'not json');
    const textport = async (): Promise<string> => {
      const name = `probe${Date.now() % 100000}`;
      await h!.emu.request('add_text', { name, text: "op('/project1/webserver1_callbacks').module.status()" });
      const before = (await h!.state()).textportTail.length;
      await h!.emu.request('run_script', { op: name });
      return (await h!.state()).textportTail.slice(before).join('\n');
    };
    let out = await textport();
    expect(out).toMatch(/webserver1 serving the joystick page on port 8080/);
    expect(out).toMatch(/phones: 1 connected; 1 opened/);
    expect(out).toMatch(/users: 1 in test_test/);
    expect(out).toMatch(/ignored: not_json 1/);
    expect(out).toMatch(/looks fine/);
    await h.emu.request('set_par', { op: 'webserver1', name: 'active', value: false });
    out = await textport();
    expect(out).toMatch(/switch Active on \(webserver1\)/);
    expect((await h.state()).errors).toEqual([]);
  });

  it('never raises on the hostile corpus from several phones; honest phones stay exact', async () => {
    h = await startServerHarness();
    const cases = corpus();
    const honest = ['h0:1', 'h1:2', 'h2:3'];
    const hostile = ['x0:4', 'x1:5', 'x2:6', 'x3:7'];
    for (const c of [...honest, ...hostile]) await h.open(c);
    const pairs: [string, string][] = [];
    let sent = 0;
    cases.forEach((m, i) => {
      pairs.push([hostile[i % hostile.length]!, m]);
      const c = honest[i % honest.length]!;
      pairs.push([c, JSON.stringify(update(`hon${c[1]}`, i % 170, -(i % 170), i % 100, i % 360))]);
      sent++;
    });
    // rate limits would drop honest frames sent this fast: spread them over emulated time
    for (let i = 0; i < pairs.length; i += 100) {
      await h.emu.request('ws_mixed', { data: pairs.slice(i, i + 100) });
      await h.emu.request('advance', { seconds: 1, dt: 0.25 });
      for (const c of honest) await h.emu.request('ws_pong', { client: c, queued: false });
    }
    for (let i = 0; i < 5; i++) await h.emu.request('ws_binary', { client: 'x0:4', b64: Buffer.from([0, 255, i]).toString('base64'), queued: false });
    const s = await h.state();
    expect(s.errors).toEqual([]);
    const stats = s.stats!;
    const ignored = Object.values(stats.ignored).reduce((a, b) => a + b, 0);
    expect(stats.received).toBe(stats.applied + ignored);
    expect(stats.frames).toBe(pairs.length + 5);
    expect(stats.ignored.internal).toBeUndefined();
    for (const reason of ['not_json', 'not_object', 'non_finite', 'bad_value', 'out_of_range', 'bad_id', 'missing_id', 'wrong_direction', 'too_large', 'binary', 'id_mismatch']) {
      expect(stats.ignored[reason], reason).toBeGreaterThan(0);
    }
    expect(stats.ignored.rate_limited).toBeUndefined();
    const users = byUser(s.table);
    honest.forEach((c, k) => {
      const last = [...Array(sent).keys()].filter((i) => i % honest.length === k).pop()!;
      expect(users.get(`hon${c[1]}`)).toEqual([String(last % 170), String(-(last % 170)), String(last % 100), String(last % 360)]);
    });
    // a hostile connection speaks for the first id it claimed, no other
    expect(users.size).toBeLessThanOrEqual(honest.length + hostile.length);
    expect(s.debugCount).toBeLessThan(40);
  });

  it('costs the same counted table operations per message at 10 and at 2000 phones', async () => {
    const measure = async (n: number): Promise<Record<string, number>[]> => {
      const hh = await startServerHarness();
      try {
        const clients = Array.from({ length: n }, (_, i) => `10.1.${i >> 8}.${i & 255}:4000`);
        for (let i = 0; i < n; i += 500) {
          for (const c of clients.slice(i, i + 500)) await hh.emu.request('ws_open', { client: c, queued: false });
        }
        await hh.emu.request('ws_mixed', { data: clients.map((c, i) => [c, JSON.stringify(update(i, 1, 1, 1, 1))]) });
        const AUDIT = 16;
        await hh.emu.request('ws_mixed', { data: Array.from({ length: (AUDIT - (n % AUDIT)) % AUDIT }, () => [clients[0], 'pong']) });
        const mid = Math.floor(n / 2);
        const probes: [string, string][] = [
          [clients[mid]!, JSON.stringify(update(mid, 5, 5, 5, 5))],
          [clients[0]!, JSON.stringify(update(0, 6, 6, 6, 6))],
          [clients[mid]!, JSON.stringify({ type: 'delete', sliderId: mid })],
          [clients[mid]!, JSON.stringify(update(mid, 7, 7, 7, 7))],
          [clients[1]!, JSON.stringify(update(2, 7, 7, 7, 7))],
        ];
        const costs: Record<string, number>[] = [];
        for (const p of probes) {
          await hh.emu.request('ops_reset');
          await hh.emu.request('ws_mixed', { data: [p] });
          costs.push((await hh.state()).ops);
        }
        await hh.emu.request('ops_reset');
        await hh.close(clients[3]!);
        costs.push((await hh.state()).ops);
        expect((await hh.state()).errors).toEqual([]);
        return costs;
      } finally {
        await hh.stop();
      }
    };
    const small = await measure(10);
    const large = await measure(2000);
    expect(large).toEqual(small);
    for (const c of large) {
      expect(c.label_scan ?? 0).toBe(0);
      expect(c.rows_shifted ?? 0).toBe(0);
    }
  });
});
