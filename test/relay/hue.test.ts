/**
 * A colour per phone: the relay's hue in welcome and in the connect sinks get (live and in snapshots), spread by
 * the golden angle, kept by a resumed id and by an id that comes back after its socket was gone.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import { startRelay } from '../../src/relay/index.js';
import { CounterHues, goldenHue, HueBook, type HueSource } from '../../src/relay/hue.js';
import { claim, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

const { start, keep } = useRelays();

/** Shortest distance between two hues on the wheel, degrees. */
function apart(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

describe('hue source', () => {
  it('steps by the golden angle: whole degrees 0-359, consecutive joins far apart, recent ones spread', () => {
    const src = new CounterHues();
    const hues = Array.from({ length: 2000 }, () => src.next());
    expect(hues.slice(0, 4)).toEqual([0, 138, 275, 53]);
    for (const h of hues) expect(Number.isInteger(h) && h >= 0 && h <= 359).toBe(true);
    for (let i = 1; i < hues.length; i++) expect(apart(hues[i]!, hues[i - 1]!)).toBeGreaterThanOrEqual(137);
    // Any five joins in a row are pairwise at least 40° apart (the golden angle's three-gap property).
    for (let i = 0; i + 5 <= hues.length; i++) {
      const w = hues.slice(i, i + 5);
      for (let a = 0; a < w.length; a++) for (let b = a + 1; b < w.length; b++) expect(apart(w[a]!, w[b]!)).toBeGreaterThanOrEqual(40);
    }
    expect(goldenHue(1e9)).toBe(Math.round(1e9 * 137.508) % 360);
  });

  it('remembers a key for as long as it is among the most recent, and takes new hues from any source', () => {
    let n = 0;
    const source: HueSource = { next: () => (n++ * 10) % 360 };
    const book = new HueBook(source, 2);
    expect([book.hueFor('a'), book.hueFor('b'), book.hueFor('a')]).toEqual([0, 10, 0]);
    book.hueFor('c'); // evicts b, the least recently used
    expect(book.hueFor('a')).toBe(0);
    expect(book.hueFor('b')).toBe(30);
  });
});

describe('relay: a hue per phone', () => {
  it('sends the hue in welcome and the same hue in the connect sinks get, live and in the snapshot', async () => {
    const relay = await start();
    const s = keep(await sink(relay));
    const phones = [];
    for (const id of ['a', 'b', 'c']) phones.push(keep(await claim(relay, id)));
    const welcomed = phones.map((p) => p.ofType('welcome')[0]!);
    expect(welcomed.map((w) => w.hue)).toEqual([0, 138, 275]);
    for (const w of welcomed) expect(parse(JSON.stringify(w), { origin: 'relay' })).toMatchObject({ ok: true, kind: 'welcome' });
    await until(() => s.ofType('connect').length >= 3 || undefined, 'three connects at the sink');
    expect(s.ofType('connect')).toEqual([
      { type: 'connect', sliderId: 'a', hue: 0 },
      { type: 'connect', sliderId: 'b', hue: 138 },
      { type: 'connect', sliderId: 'c', hue: 275 },
    ]);
    for (const text of s.texts.filter((t) => t.includes('"connect"'))) expect(parse(text, { origin: 'relay' })).toMatchObject({ ok: true, kind: 'relayConnect' });
    const late = keep(await sink(relay));
    await until(() => late.ofType('connect').length >= 3 || undefined, 'the snapshot');
    expect(late.ofType('connect')).toEqual(s.ofType('connect'));
  });

  it('a resumed id keeps its hue, and so does an id that comes back after its socket was gone', async () => {
    const relay = await start();
    const first = keep(await claim(relay, 'p'));
    keep(await claim(relay, 'other'));
    const hue = first.ofType('welcome')[0]!.hue;
    const resumed = keep(await claim(relay, 'p', { resume: first.resume! }));
    expect(resumed.ofType('welcome')[0]!.hue).toBe(hue);
    resumed.close();
    await resumed.waitClosed();
    await until(() => relay.metrics().connections.controller === 1 || undefined, 'the old socket gone');
    const back = keep(await claim(relay, 'p'));
    expect(back.ofType('welcome')[0]!.hue).toBe(hue);
    const newcomer = keep(await claim(relay, 'q'));
    expect(newcomer.ofType('welcome')[0]!.hue).toBe(goldenHue(2));
  });

  it('takes its hues from the HueSource it is given (how a cluster shares one counter)', async () => {
    let n = 0;
    const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true }, { hues: { next: () => [300, 7][n++ % 2]! } });
    try {
      const a = keep(await claim(relay, 'x'));
      const b = keep(await claim(relay, 'y'));
      expect([a.ofType('welcome')[0]!.hue, b.ofType('welcome')[0]!.hue]).toEqual([300, 7]);
    } finally {
      await relay.close();
    }
  });

  it('broadcast mode keeps the tutorial relay frames: no hue in the connect others get, one in the welcome', async () => {
    const relay = await start({ mode: 'broadcast' });
    const listener = keep(await sink(relay));
    const phone = keep(await claim(relay, 7));
    expect(phone.ofType('welcome')[0]!.hue).toBe(0);
    const connect = await listener.waitForMessage((m) => m.type === 'connect', 'the connect');
    expect(connect).toEqual({ type: 'connect', sliderId: 7 });
  });
});
