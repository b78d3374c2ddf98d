import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from '../../src/protocol/index.js';
import type { ConnectionState } from '../../src/web/client/connection.js';
import { createController, type Controller } from '../../src/web/client/controller.js';
import { Identity } from '../../src/web/client/identity.js';
import { valuesFromOffset, ZERO } from '../../src/web/client/joystick.js';
import { sleep, until } from '../helpers/wait.js';
import { FakeClock } from './fake-clock.js';
import { MapStore } from './map-store.js';

const URL = 'ws://relay.test:8080/';
const TOKEN_A = 'tokenAAAAAAAAAAAAAAAAAAA';
const TOKEN_B = 'tokenBBBBBBBBBBBBBBBBBBB';
const IDLE_MS = 10_000;

/** A fake relay that records every frame the page sends, per connection. */
class FakeRelay {
  readonly server: Server;
  readonly connections: Array<{ client: Client; frames: string[] }> = [];
  constructor(onConnect?: (client: Client) => void) {
    this.server = new Server(URL);
    this.server.on('connection', (client) => {
      const entry = { client, frames: [] as string[] };
      this.connections.push(entry);
      client.on('message', (data) => entry.frames.push(String(data)));
      onConnect?.(client);
    });
  }
  get all(): string[] {
    return this.connections.flatMap((c) => c.frames);
  }
  last(): { client: Client; frames: string[] } {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no connection');
    return c;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.stop(resolve));
  }
}

function json(frame: string | undefined): Record<string, unknown> {
  return JSON.parse(frame ?? 'null') as Record<string, unknown>;
}

describe('controller against a mock relay', () => {
  let clock: FakeClock;
  let store: MapStore;
  let states: ConnectionState[];
  let notices: string[];
  let presence: boolean[];
  let hues: number[];
  let ctl: Controller;
  let relay: FakeRelay | undefined;
  let randomValue: number;

  const make = (): Controller => {
    const c = createController({
      url: URL,
      createSocket: (url) => new MockWebSocket(url) as unknown as WebSocket,
      identity: new Identity(store),
      idleMs: IDLE_MS,
      timers: clock,
      clock: () => clock.now,
      random: () => randomValue,
      onState: (s) => states.push(s),
      onNotice: (n) => notices.push(n),
      onPresence: (p) => presence.push(p),
      onHue: (h) => hues.push(h),
    });
    c.connection.start();
    return c;
  };

  beforeEach(() => {
    clock = new FakeClock();
    store = new MapStore();
    states = [];
    notices = [];
    presence = [];
    hues = [];
    randomValue = 0;
  });

  afterEach(async () => {
    ctl?.connection.stop();
    ctl?.session.stop();
    await relay?.stop();
    relay = undefined;
  });

  it('claims its id on open, stores the welcome token and answers ping with pong', async () => {
    relay = new FakeRelay();
    ctl = make();
    expect(states).toEqual([]); // starts as connecting (the initial state) without a transition
    await until(() => relay!.all.length >= 1, 'connect');
    const id = ctl.session.sliderId;
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(json(relay.all[0])).toEqual({ type: 'connect', sliderId: id });
    expect(parse(relay.all[0]!, { origin: 'controller' }).ok).toBe(true);
    expect(states).toEqual(['live']);

    const client = relay.last().client;
    client.send(JSON.stringify({ type: 'welcome', sliderId: id, resume: TOKEN_A }));
    client.send('ping');
    await until(() => relay!.all.includes('pong'), 'pong');
    expect(store.getItem('tdcrowd.resume')).toBe(TOKEN_A);
  });

  it("hands the welcome's hue to the page (only for its own id)", async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    const client = relay.last().client;
    client.send(JSON.stringify({ type: 'welcome', sliderId: 'someone-else', resume: TOKEN_B, hue: 10 }));
    client.send(JSON.stringify({ type: 'welcome', sliderId: ctl.session.sliderId, resume: TOKEN_A, hue: 200 }));
    await until(() => hues.length > 0 || undefined, 'the hue');
    expect(hues).toEqual([200]);
  });

  it('sends updates with increasing seq and the sender clock; ignores unknown frames; shows errors as notices', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    const client = relay.last().client;
    client.send('{"type":"batch","messages":[]}');
    client.send('not json at all');
    client.send(JSON.stringify({ type: 'error', code: 'rate_limited', message: '<b>slow</b> down' }));
    ctl.session.move(valuesFromOffset(50, 0, 100));
    clock.advance(16);
    ctl.session.move(valuesFromOffset(0, -100, 100));
    await until(() => relay!.all.length >= 3, 'updates');
    const [u1, u2] = relay.all.slice(1).map(json);
    expect(u1).toEqual({ x: 85, y: 0, speed: 50, angle: 0, sliderId: ctl.session.sliderId, seq: 0, t: clock.now - 16 });
    expect(u2).toEqual({ x: 0, y: -170, speed: 100, angle: 90, sliderId: ctl.session.sliderId, seq: 1, t: clock.now });
    await until(() => notices.length === 1, 'notice');
    expect(notices).toEqual(['rate_limited: <b>slow</b> down']);
    expect(ctl.connection.state).toBe('live');
  });

  it('reconnects with backoff after a drop, keeping the id and sending the resume token and the held position', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.connections.length === 1 && relay!.all.length >= 1, 'first connect');
    const id = ctl.session.sliderId;
    relay.last().client.send(JSON.stringify({ type: 'welcome', sliderId: id, resume: TOKEN_A }));
    await until(() => ctl.session !== undefined && store.getItem('tdcrowd.resume') === TOKEN_A, 'welcome');
    ctl.session.setPressed(true);
    ctl.session.move(valuesFromOffset(-100, 0, 100)); // held at the left rim

    relay.last().client.close();
    await until(() => states.at(-1) === 'reconnecting', 'reconnecting state');
    expect(relay.connections.length).toBe(1);
    // First retry: between 250 and 500 ms (random = 0 → 250).
    clock.advance(249);
    await sleep(30);
    expect(relay.connections.length).toBe(1);
    clock.advance(1);
    await until(() => relay!.connections.length === 2 && relay!.last().frames.length >= 2, 'second connection');
    const frames = relay.last().frames.map(json);
    expect(frames[0]).toEqual({ type: 'connect', sliderId: id, resume: TOKEN_A });
    expect(frames[1]).toMatchObject({ x: -170, y: 0, speed: 100, angle: 180, sliderId: id });
    expect(states.at(-1)).toBe('live');
  });

  it('grows the delay while the relay is unreachable and says so (not offline: the network is up) after a few failures', async () => {
    let closed = 0;
    ctl = createController({
      url: URL,
      createSocket: (url) => {
        const ws = new MockWebSocket(url);
        ws.addEventListener('close', () => (closed += 1));
        return ws as unknown as WebSocket;
      },
      identity: new Identity(store),
      idleMs: IDLE_MS,
      timers: clock,
      clock: () => clock.now,
      random: () => 0.999999,
      onState: (s) => states.push(s),
    });
    ctl.connection.start(); // no server at all: every attempt fails
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      await until(() => closed === i + 1, `attempt ${i} failed`);
      await sleep(5);
      const pending = clock.pendingDelays();
      expect(pending).toHaveLength(1); // only the retry: nothing else runs while disconnected
      delays.push(pending[0]!);
      clock.advance(pending[0]!);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(states).toEqual(['unreachable']); // connecting (initial) → unreachable after the 4th failure
    expect(states).not.toContain('live');

    relay = new FakeRelay();
    await until(() => closed === 7, 'attempt 7 failed');
    clock.advance(10_000);
    await until(() => states.at(-1) === 'live', 'live once the relay is back');
    await until(() => relay!.all.length >= 1, 'connect');
    expect(json(relay.all[0])).toMatchObject({ type: 'connect', sliderId: ctl.session.sliderId });
  });

  it('id_taken: drops the socket and retries later with the same id', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    relay.last().client.send(JSON.stringify({ type: 'error', code: 'id_taken', message: 'id is in use' }));
    await until(() => states.at(-1) === 'reconnecting', 'retry after refusal');
    clock.advance(500);
    await until(() => relay!.connections.length === 2 && relay!.last().frames.length >= 1, 'retry');
    expect(json(relay.last().frames[0])).toMatchObject({ type: 'connect', sliderId: ctl.session.sliderId });
    expect(notices[0]).toContain('id_taken');
  });

  it('bad_resume: forgets the token and claims the id again without it', async () => {
    store.setItem('tdcrowd.sliderId', 'KeptIdKeptIdKeptIdKept');
    store.setItem('tdcrowd.resume', TOKEN_B);
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    expect(json(relay.all[0])).toEqual({ type: 'connect', sliderId: 'KeptIdKeptIdKeptIdKept', resume: TOKEN_B });
    relay.last().client.send(JSON.stringify({ type: 'error', code: 'bad_resume', message: 'stale token' }));
    await until(() => states.at(-1) === 'reconnecting', 'retry');
    expect(store.getItem('tdcrowd.resume')).toBeNull();
    clock.advance(500);
    await until(() => relay!.connections.length === 2 && relay!.last().frames.length >= 1, 'retry');
    expect(json(relay.last().frames[0])).toEqual({ type: 'connect', sliderId: 'KeptIdKeptIdKeptIdKept' });
  });

  it('deletes after the idle timeout and connects again on the next movement', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    const id = ctl.session.sliderId;
    ctl.session.move(valuesFromOffset(10, 10, 100));
    ctl.session.move(ZERO); // released
    clock.advance(IDLE_MS - 1);
    await sleep(30);
    expect(relay.all.map(json).some((m) => m.type === 'delete')).toBe(false);
    clock.advance(1);
    await until(() => relay!.all.length >= 4, 'delete');
    expect(json(relay.all[3])).toEqual({ type: 'delete', sliderId: id });
    expect(parse(relay.all[3]!, { origin: 'controller' })).toMatchObject({ ok: true, kind: 'delete' });
    expect(presence).toEqual([false]);
    expect(ctl.session.present).toBe(false);

    // Idle again: no second delete.
    clock.advance(IDLE_MS * 3);
    ctl.session.move(valuesFromOffset(0, 20, 100));
    await until(() => relay!.all.length >= 6, 'reconnect on movement');
    expect(json(relay.all[4])).toEqual({ type: 'connect', sliderId: id });
    expect(json(relay.all[5])).toMatchObject({ x: 0, y: 34, sliderId: id });
    expect(presence).toEqual([false, true]);
    expect(relay.all.filter((f) => json(f).type === 'delete')).toHaveLength(1);
  });

  it('holding the knob still is not idle', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    ctl.session.setPressed(true);
    ctl.session.move(valuesFromOffset(30, 0, 100));
    clock.advance(IDLE_MS * 5);
    ctl.session.setPressed(false);
    ctl.session.move(ZERO);
    clock.advance(IDLE_MS - 1);
    await sleep(30);
    expect(relay.all.map(json).filter((m) => m.type === 'delete')).toHaveLength(0);
    clock.advance(1);
    await until(() => relay!.all.map(json).some((m) => m.type === 'delete'), 'delete after release');
  });

  it('an idle-deleted page does not reclaim its id on reconnect until it moves', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    clock.advance(IDLE_MS);
    await until(() => relay!.all.length >= 2, 'delete');
    relay.last().client.close();
    await until(() => states.at(-1) === 'reconnecting', 'drop');
    clock.advance(500);
    await until(() => relay!.connections.length === 2 && states.at(-1) === 'live', 'reconnected');
    await sleep(30);
    expect(relay.last().frames).toEqual([]);
    ctl.session.move(valuesFromOffset(1, 1, 100));
    await until(() => relay!.last().frames.length >= 2, 'connect on movement');
    expect(json(relay.last().frames[0])).toMatchObject({ type: 'connect' });
  });

  it('a tab whose id was taken over by another tab (close 4000) continues as a new user', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    const first = ctl.session.sliderId;
    relay.last().client.send(JSON.stringify({ type: 'welcome', sliderId: first, resume: TOKEN_A }));
    await until(() => store.getItem('tdcrowd.resume') === TOKEN_A, 'welcome');
    relay.last().client.close({ code: 4000, reason: 'id taken over by a resumed connection', wasClean: true });
    await until(() => states.at(-1) === 'reconnecting', 'drop');
    const second = ctl.session.sliderId;
    expect(second).not.toBe(first);
    expect(second).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(store.getItem('tdcrowd.sliderId')).toBe(second);
    expect(store.getItem('tdcrowd.resume')).toBeNull();
    expect(notices.at(-1)).toMatch(/another tab/);
    clock.advance(500);
    await until(() => relay!.connections.length === 2 && relay!.last().frames.length >= 1, 'reconnect');
    expect(json(relay.last().frames[0])).toEqual({ type: 'connect', sliderId: second });
  });

  it('other close codes keep the id', async () => {
    relay = new FakeRelay();
    ctl = make();
    await until(() => relay!.all.length >= 1, 'connect');
    const id = ctl.session.sliderId;
    relay.last().client.close({ code: 1001, reason: 'relay shutting down', wasClean: true });
    await until(() => states.at(-1) === 'reconnecting', 'drop');
    clock.advance(500);
    await until(() => relay!.connections.length === 2 && relay!.last().frames.length >= 1, 'reconnect');
    expect(json(relay.last().frames[0])).toEqual({ type: 'connect', sliderId: id });
  });

  it('shows offline at once when the browser says it is offline, and wakes early when it is back', async () => {
    let online = false;
    ctl = createController({
      url: URL,
      createSocket: (url) => new MockWebSocket(url) as unknown as WebSocket,
      identity: new Identity(store),
      idleMs: IDLE_MS,
      timers: clock,
      clock: () => clock.now,
      random: () => 0,
      isOnline: () => online,
      onState: (s) => states.push(s),
    });
    ctl.connection.start();
    await until(() => states.at(-1) === 'offline', 'offline after the first failure');
    relay = new FakeRelay();
    online = true;
    ctl.connection.wake(); // the page calls this on the 'online' event: no waiting for the backoff
    await until(() => states.at(-1) === 'live', 'live after wake');
  });
});
