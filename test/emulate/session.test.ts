/** Behaviour of the generated scripts in the emulator: the tutorial's session and each promise of README's `tdcrowd generate` and TouchDesigner sections. */
import { afterEach, describe, expect, it } from 'vitest';
import { hasPython } from '../helpers/requirements.js';
import { AUDIT_EVERY, byUser, HEADER, startHarness, update, type Harness } from './harness.js';

describe.skipIf(!hasPython())('generated scripts in the emulator', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("plays the tutorial's session: connect, updates, delete, ping → pong", async () => {
    h = await startHarness({ mode: 'broadcast' });
    await h.send({ type: 'connect', sliderId: 7 });
    let users = byUser(await h.rows());
    expect(users.get('7')).toEqual(['0', '0', '0', '0']);
    await h.send(update(7, 12.5, -30, 19, 112.6));
    await h.send(update(8, -170, 170, 100, 360));
    await h.send(update(7, 13, -31, 20, 113));
    users = byUser(await h.rows());
    expect([...users.keys()].sort()).toEqual(['7', '8']);
    expect(users.get('7')).toEqual(['13', '-31', '20', '113']);
    expect(users.get('8')).toEqual(['-170', '170', '100', '360']);
    await h.send({ type: 'delete', sliderId: 7 });
    users = byUser(await h.rows());
    expect([...users.keys()]).toEqual(['8']);
    await h.send('ping');
    const s = await h.state();
    expect(s.outbox.map((o) => o.data)).toEqual(['pong']); // broadcast mode: no hello, only the pong
    expect(s.errors).toEqual([]);
    expect(s.stats).toMatchObject({ received: 6, applied: 6 });
  });

  it('accepts JSON padded with JSON whitespace and ignores trailing data after the value', async () => {
    h = await startHarness();
    await h.send(' \n{"type":"connect","sliderId":1}\t\r\n');
    await h.send('{"x":5,"y":6,"speed":7,"angle":8,"sliderId":1}  ');
    await h.send('{"type":"connect","sliderId":2} x');
    await h.send('{"type":"connect","sliderId":3}{"type":"connect","sliderId":4}');
    const s = await h.state();
    expect([...byUser(s.table).entries()]).toEqual([['1', ['5', '6', '7', '8']]]);
    expect(s.stats).toMatchObject({ applied: 2, ignored: { not_json: 2 } });
    expect(s.errors).toEqual([]);
  });

  it('keeps the header and exactly one row per user under repeated and interleaved updates', async () => {
    h = await startHarness();
    const msgs: unknown[] = [];
    for (let round = 0; round < 5; round++) for (let id = 0; id < 30; id++) msgs.push(update(id, round, -round, round, round));
    for (let id = 0; id < 30; id += 3) msgs.push({ type: 'delete', sliderId: id });
    await h.sendAll(msgs);
    const table = await h.rows();
    expect(table[0]).toEqual(HEADER);
    const users = byUser(table); // throws on duplicates
    expect(users.size).toBe(20);
    for (let id = 0; id < 30; id++) {
      if (id % 3 === 0) expect(users.has(String(id))).toBe(false);
      else expect(users.get(String(id))).toEqual(['4', '-4', '4', '4']);
    }
    expect((await h.state()).errors).toEqual([]);
  });

  it('formats ids as labels: integral floats lose ".0", strings stay as sent', async () => {
    h = await startHarness();
    await h.sendAll(['{"x":1,"y":2,"speed":3,"angle":4,"sliderId":42.0}', update('ab_C-9', 1, 1, 1, 1)]);
    await h.send(update(42, 5, 5, 5, 5));
    const users = byUser(await h.rows());
    expect([...users.keys()].sort()).toEqual(['42', 'ab_C-9']);
    expect(users.get('42')).toEqual(['5', '5', '5', '5']);
  });

  it('prunes users silent for longer than the timeout (10 s of emulated time)', async () => {
    h = await startHarness();
    await h.sendAll([update(1), update(2), update(3)]);
    await h.emu.request('advance', { seconds: 6 });
    await h.send(update(2, 9, 9, 9, 9)); // 2 keeps talking
    await h.emu.request('advance', { seconds: 4.5 }); // 1 and 3 silent for 10.5 s
    let users = byUser(await h.rows());
    expect([...users.keys()]).toEqual(['2']);
    await h.emu.request('advance', { seconds: 5 });
    users = byUser(await h.rows());
    expect(users.size).toBe(1); // 2 silent 9.5 s: still there
    await h.emu.request('advance', { seconds: 1 });
    expect(byUser(await h.rows()).size).toBe(0);
    expect((await h.state()).errors).toEqual([]);
  });

  it('--timeout 0 never prunes; --timeout 3 prunes after 3 s', async () => {
    h = await startHarness({ timeout: 0 });
    await h.send(update(1));
    await h.emu.request('advance', { seconds: 60 });
    expect(byUser(await h.rows()).size).toBe(1);
    await h.close();
    h = await startHarness({ timeout: 3 });
    await h.send(update(1));
    await h.emu.request('advance', { seconds: 2.5 });
    expect(byUser(await h.rows()).size).toBe(1);
    await h.emu.request('advance', { seconds: 1 });
    expect(byUser(await h.rows()).size).toBe(0);
  });

  it('onStart clears the table but its header and resets the state; works on an empty table too', async () => {
    h = await startHarness({}, { start: false });
    await h.emu.request('set_table', { rows: [HEADER, ['old', '1', '1', '1', '1'], ['older', '2', '2', '2', '2']] });
    await h.emu.request('start');
    await h.emu.request('step');
    expect(await h.rows()).toEqual([HEADER]);
    await h.sendAll([update(1), update(2), 'not json']);
    let s = await h.state();
    expect(s.stats).toMatchObject({ received: 3, applied: 2 });
    await h.emu.request('start');
    s = await h.state();
    expect(s.table).toEqual([HEADER]);
    expect(s.stats).toEqual({ frames: 0, received: 0, applied: 0, ignored: {}, reindexed: 0 });
    await h.send(update(2, 1, 1, 1, 1)); // index rebuilt from the cleared table: a fresh row, no stale index
    expect(byUser(await h.rows()).get('2')).toEqual(['1', '1', '1', '1']);
    await h.emu.request('clear_table'); // even the header gone: onCreate writes it back
    await h.emu.request('create');
    expect(await h.rows()).toEqual([HEADER]);
    expect((await h.state()).errors).toEqual([]);
  });

  it('recovers when the table is changed behind its back', async () => {
    h = await startHarness();
    await h.sendAll([update(1), update(2), update(3)]);
    expect((await h.state()).stats?.reindexed).toBe(0);
    await h.emu.request('clear_table', { keepFirstRow: true });
    await h.send(update(3, 7, 7, 7, 7));
    expect([...byUser(await h.rows()).entries()]).toEqual([['3', ['7', '7', '7', '7']]]);
    expect((await h.state()).stats?.reindexed).toBe(1);
    await h.emu.request('set_table', { rows: [['wrong', 'header'], ['9', '1', '1', '1', '1'], ['9', '2', '2', '2', '2'], ['bad id!', '0', '0', '0', '0']] });
    await h.send(update(4, 4, 4, 4, 4));
    const users = byUser(await h.rows()); // header restored, duplicate and invalid rows dropped
    expect([...users.keys()].sort()).toEqual(['4', '9']);
    await h.send({ type: 'delete', sliderId: 9 });
    expect([...byUser(await h.rows()).keys()]).toEqual(['4']);
    expect((await h.state()).errors).toEqual([]);
  });

  it("heals a table sorted or cut by hand: no duplicate rows after one audit sweep, no row with another user's values", async () => {
    expect(AUDIT_EVERY).toBeGreaterThan(1);
    const t = await startHarness();
    h = t;
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const movers = ids.slice(0, 5);
    let round = 0;
    const move = async (who: number[]): Promise<void> => {
      round += 1;
      await t.sendAll(who.map((i) => update(i, i, round, 0, 0))); // x is the id: a row shows whose values it has
    };
    const expectHealthy = async (): Promise<Map<string, string[]>> => {
      const users = byUser(await t.rows()); // throws on a duplicate row
      for (const [id, v] of users) expect(v[0]).toBe(id);
      return users;
    };
    await move(ids);
    let rows = await t.rows();
    // sorted behind its back: the same rows reversed, so the row count still matches the index
    await t.emu.request('set_table', { rows: [rows[0], ...rows.slice(1).reverse()] });
    for (let k = 0; k < AUDIT_EVERY * 2; k += 1) await move(movers); // half the crowd moves: one sweep and more
    expect((await t.state()).stats?.reindexed).toBeGreaterThanOrEqual(1);
    let users = await expectHealthy();
    for (const i of movers) expect(users.get(String(i))).toEqual([String(i), String(round), '0', '0']);
    await move(ids); // the idle half moves again: everyone has one row, with the latest values
    users = await expectHealthy();
    expect(users.size).toBe(ids.length);
    for (const i of ids) expect(users.get(String(i))?.[1]).toBe(String(round));
    // a row deleted by hand: rows shift up and the count no longer matches
    rows = await t.rows();
    await t.emu.request('set_table', { rows: [...rows.slice(0, 4), ...rows.slice(5)] });
    await move(ids);
    await move(ids);
    users = await expectHealthy();
    expect(users.size).toBe(ids.length);
    for (const i of ids) expect(users.get(String(i))?.[1]).toBe(String(round));
    expect((await t.state()).errors).toEqual([]);
  });

  it('applies batch messages: updates, connects and deletes in order', async () => {
    h = await startHarness({ batchHz: 20 });
    await h.send({
      type: 'batch',
      messages: [update(1, 1, 1, 1, 1), { type: 'connect', sliderId: 2 }, update(3, 3, 3, 3, 3), { type: 'delete', sliderId: 1, reason: 'timeout' }, update(2, 2, 2, 2, 2)],
    });
    const s = await h.state();
    const users = byUser(s.table);
    expect([...users.keys()].sort()).toEqual(['2', '3']);
    expect(users.get('2')).toEqual(['2', '2', '2', '2']);
    expect(s.stats).toMatchObject({ frames: 1, received: 5, applied: 5 });
    expect(JSON.parse(s.outbox[0]?.data ?? '{}')).toEqual({ type: 'hello', role: 'sink', batchHz: 20 });
  });

  it('--invert-y, --normalize and --columns change what is written', async () => {
    h = await startHarness({ invertY: true, normalize: true, columns: 'id,px,py,spd,ang', table: 'crowd' });
    await h.send(update(1, 85, -170, 50, 270));
    await h.send(update(2, 0, 0, 0, 0));
    const s = await h.state();
    expect(s.table[0]).toEqual(['id', 'px', 'py', 'spd', 'ang']);
    const users = byUser(s.table, ['id', 'px', 'py', 'spd', 'ang']);
    expect(users.get('1')).toEqual(['0.5', '1.0', '50', '270']);
    expect(users.get('2')).toEqual(['0.0', '0.0', '0', '0']); // no "-0.0"
    await h.close();
    h = await startHarness({ invertY: true });
    await h.send(update(1, 10, 20, 0, 0));
    expect(byUser(await h.rows()).get('1')).toEqual(['10', '-20', '0', '0']);
  });

  it('route mode: hello on connect with token and batchHz; reconnects with backoff 1, 2, 4 s after a drop', async () => {
    h = await startHarness({ sinkToken: 'secret-token-123456', batchHz: 30 });
    let s = await h.state(true);
    expect(s.connected).toBe(true);
    expect(s.outbox.map((o) => JSON.parse(o.data) as unknown)).toEqual([
      { type: 'hello', role: 'sink', token: 'secret-token-123456', batchHz: 30 },
    ]);
    await h.emu.request('server', { up: false });
    const dropAt = (await h.emu.request<{ seconds: number }>('disconnect')) && (await h.state()).seconds;
    await h.emu.request('advance', { seconds: 12 });
    s = await h.state();
    expect(s.connected).toBe(false);
    const gaps = s.attempts.slice(1).map((t) => t - dropAt);
    // attempts at 1 s (+0.25 s off/on toggle), then 2 s and 4 s later: exponential backoff
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    // frames are 1/60 s apart, so each attempt lands within a frame or two of its due time
    const near = (actual: number | undefined, expected: number): void => {
      expect(actual).toBeGreaterThan(expected - 0.02);
      expect(actual).toBeLessThan(expected + 0.05);
    };
    near(gaps[0], 1.25);
    near((gaps[1] ?? 0) - (gaps[0] ?? 0), 2.25);
    near((gaps[2] ?? 0) - (gaps[1] ?? 0), 4.25);
    await h.emu.request('server', { up: true });
    await h.emu.request('advance', { seconds: 9 });
    s = await h.state();
    expect(s.connected).toBe(true);
    expect(s.active).toBe(true);
    expect(s.outbox.filter((o) => o.data.includes('"hello"'))).toHaveLength(1); // hello again after the reconnect
    // backoff resets after a successful connection: the next drop retries after ~1 s again
    const before = s.attempts.length;
    await h.emu.request('disconnect');
    await h.emu.request('advance', { seconds: 1.5 });
    s = await h.state();
    expect(s.attempts.length).toBe(before + 1);
    expect(s.connected).toBe(true);
    expect(s.errors).toEqual([]);
  });

  it('broadcast mode: no hello, still answers pings and reconnects', async () => {
    h = await startHarness({ mode: 'broadcast' });
    let s = await h.state();
    expect(s.connected).toBe(true);
    expect(s.outbox).toEqual([]);
    await h.emu.request('disconnect');
    await h.emu.request('advance', { seconds: 2 });
    s = await h.state();
    expect(s.connected).toBe(true);
    expect(s.outbox).toEqual([]);
  });

  it('answers protocol pings with sendPong(contents)', async () => {
    h = await startHarness();
    await h.state(true);
    await h.emu.request('ping', { b64: Buffer.from('hb-17').toString('base64') });
    const s = await h.state();
    expect(s.outbox).toEqual([expect.objectContaining({ kind: 'pong', data: 'hb-17' })]);
  });

  it('delivers messages queued between frames, in either frame order', async () => {
    for (const order of ['frame_first', 'messages_first'] as const) {
      h = await startHarness({}, { order });
      for (let i = 0; i < 5; i++) await h.emu.request('text', { data: JSON.stringify(update(i, i, 0, 0, 0)), queued: true });
      expect(byUser(await h.rows()).size).toBe(0);
      await h.emu.request('step');
      expect(byUser(await h.rows()).size).toBe(5);
      await h.close();
      h = undefined;
    }
  });
});
