/**
 * --target webserver gives phones a colour as the relay does: the hue in welcome (golden-angle steps, the same
 * numbers as src/relay/hue.ts) and in the hue column; an id that comes back keeps its hue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import { goldenHue } from '../../src/relay/hue.js';
import { hasPython } from '../helpers/requirements.js';
import { byUser, HEADER, startServerHarness, update, type ServerHarness } from './harness.js';

const WITH_HUE = [...HEADER, 'hue'];

describe.skipIf(!hasPython())('Web Server DAT target: a hue per phone', () => {
  let h: ServerHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('welcome carries the hue the relay would give, the row holds it, and a returning id keeps it', async () => {
    h = await startServerHarness({ extraColumns: 'hue' });
    const welcomeOf = async (client: string): Promise<Record<string, unknown>> => {
      const sent = await h!.sent(client);
      const w = sent.filter((m) => m.kind === 'text').map((m) => m.data as Record<string, unknown>).find((d) => d.type === 'welcome');
      if (w === undefined) throw new Error(`no welcome for ${client}`);
      expect(parse(JSON.stringify(w), { origin: 'relay' })).toMatchObject({ ok: true, kind: 'welcome' });
      return w;
    };
    const phones = ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'];
    for (const [i, client] of phones.entries()) {
      await h.open(client);
      await h.send(client, { type: 'connect', sliderId: `p${i}` }, update(`p${i}`, i, i, i, i));
    }
    const hues = [];
    for (const client of phones) hues.push((await welcomeOf(client)).hue);
    expect(hues).toEqual([goldenHue(0), goldenHue(1), goldenHue(2)]);
    let rows = byUser(await h.rows(), WITH_HUE);
    expect(rows.get('p1')).toEqual(['1', '1', '1', '1', String(goldenHue(1))]);
    expect(rows.get('p2')).toEqual(['2', '2', '2', '2', String(goldenHue(2))]);

    // p1's socket closes (its row goes); it comes back from a new connection under the same id: same colour.
    await h.close(phones[1]!);
    await h.open('10.0.0.9:2');
    await h.send('10.0.0.9:2', update('p1', 5, 5, 5, 5));
    expect((await welcomeOf('10.0.0.9:2')).hue).toBe(goldenHue(1));
    await h.open('10.0.0.4:1');
    await h.send('10.0.0.4:1', { type: 'connect', sliderId: 'p3' });
    expect((await welcomeOf('10.0.0.4:1')).hue).toBe(goldenHue(3));
    rows = byUser(await h.rows(), WITH_HUE);
    expect(rows.get('p1')).toEqual(['5', '5', '5', '5', String(goldenHue(1))]);
    expect(rows.get('p3')).toEqual(['0', '0', '0', '0', String(goldenHue(3))]);
    const s = await h.state();
    expect(s.errors).toEqual([]);
    expect(s.stats).toMatchObject({ ignored: {} });
  });
});
