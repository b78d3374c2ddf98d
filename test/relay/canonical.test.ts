/**
 * Canonical frames (issue 11, part 4): what a sink receives is written again from the validated fields, so every
 * sink reads the same message whatever its JSON parser does with duplicate keys, and an id is sent as its user
 * first claimed it (5 and "5" are one user).
 */
import { describe, expect, it } from 'vitest';
import { relayConnectFrame, updateFrame } from '../../src/protocol/index.js';
import { type Json } from '../helpers/messages.js';
import { Peer, claim, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';

const { start, keep } = useRelays();

/** Every text frame a client receives, as the text it was. */
function rawFrames(c: Peer): string[] {
  const frames: string[] = [];
  c.ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push((data as Buffer).toString());
  });
  return frames;
}

async function until(frames: string[], predicate: (f: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const f = frames.find(predicate);
    if (f !== undefined) return f;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('canonical frames', () => {
  it('duplicate keys cannot smuggle another id to a sink whose parser takes the first key', async () => {
    const relay = await start();
    const s = keep(await sink(relay));
    const frames = rawFrames(s);
    const m = keep(await claim(relay, 'm'));
    keep(await claim(relay, 'v'));
    // JSON.parse keeps the last "sliderId" ("m", this phone's own), a first-key parser would read "v".
    m.send('{"sliderId":"v","x":10,"y":-20,"speed":13.15,"angle":296.57,"sliderId":"m"}');
    const got = await until(frames, (f) => f.includes('"x":10'), 'the update at the sink');
    expect(got).toBe(updateFrame({ x: 10, y: -20, speed: 13.15, angle: 296.57, sliderId: 'm' }));
    expect(got.match(/"sliderId"/g)).toHaveLength(1);
  });

  it('the id goes out as first claimed: a phone that claimed 5 and sends "5" stays user 5 at every sink', async () => {
    const relay = await start();
    const s = keep(await sink(relay));
    const frames = rawFrames(s);
    const c = keep(await claim(relay, 5));
    c.send({ type: 'update', x: 1, y: 2, speed: 1.3, angle: 296.57, sliderId: '5', seq: 7, t: 1712345678901.5 });
    const got = await until(frames, (f) => f.includes('"x":1,'), 'the update at the sink');
    expect(got).toBe('{"x":1,"y":2,"speed":1.3,"angle":296.57,"sliderId":5,"seq":7,"t":1712345678901.5}');
    // The first phone to join a relay gets hue 0 (src/relay/hue.ts).
    expect(frames).toContain(relayConnectFrame(5, 0));
    // A sink that joins later gets the same text in its snapshot.
    const late = keep(await sink(relay));
    const snap = await late.waitForMessage((m: Json) => m.x === 1, 'the snapshot');
    expect(snap).toEqual(JSON.parse(got));
  });

  it('whitespace, key order and an explicit "type" do not reach the sink: one text per update', async () => {
    const relay = await start();
    const s = keep(await sink(relay));
    const frames = rawFrames(s);
    const c = keep(await claim(relay, 'w'));
    c.send('{ "type" : "update", "angle":0, "speed" :0, "sliderId":"w", "y":0, "x":0 }');
    const got = await until(frames, (f) => f.includes('"sliderId":"w"') && !f.includes('connect'), 'the update');
    expect(got).toBe('{"x":0,"y":0,"speed":0,"angle":0,"sliderId":"w"}');
  });
});
