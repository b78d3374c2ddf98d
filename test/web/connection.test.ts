/** RelayConnection's dead-socket watchdog: a socket that stops draining while the knob moves is replaced. */
import { describe, expect, it } from 'vitest';
import { RelayConnection, type ConnectionState } from '../../src/web/client/connection.js';
import { FakeClock } from './fake-clock.js';

/** Just enough of a browser WebSocket: the test decides when it opens and how much stays buffered. */
class FakeSocket {
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
}

function setup(stallMs = 5000): { conn: RelayConnection; sockets: FakeSocket[]; clock: FakeClock; states: ConnectionState[] } {
  const clock = new FakeClock();
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const conn = new RelayConnection({
    url: 'ws://relay.test/',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    onOpen: () => undefined,
    onEvent: () => undefined,
    onState: (s) => states.push(s),
    timers: clock,
    now: () => clock.now,
    random: () => 0.5,
    stallMs,
  });
  conn.start();
  sockets[0]!.open();
  return { conn, sockets, clock, states };
}

const FRAME = '{"x":1,"y":2,"speed":3,"angle":4,"sliderId":"abc"}';

describe('RelayConnection stall watchdog', () => {
  it('keeps a socket whose buffer drains, even slowly', () => {
    const { conn, sockets, clock } = setup();
    const s = sockets[0]!;
    for (let i = 0; i < 600; i++) {
      // a slow uplink: the buffer grows, but some bytes leave between sends
      s.bufferedAmount += FRAME.length - 10;
      expect(conn.send(FRAME)).toBe(true);
      clock.advance(16);
    }
    expect(sockets).toHaveLength(1);
    expect(s.closedWith).toBeUndefined();
  });

  it('replaces a socket that has not drained for stallMs while frames are sent, and reconnects', () => {
    const { conn, sockets, clock, states } = setup(5000);
    const s = sockets[0]!;
    let refusedAt = -1;
    for (let i = 0; i < 400 && refusedAt < 0; i++) {
      s.bufferedAmount += FRAME.length; // nothing leaves: a half-open socket after the phone slept
      if (!conn.send(FRAME)) refusedAt = i;
      clock.advance(16);
    }
    // 5000 ms at one frame per 16 ms: the send after the deadline is refused and the socket dropped
    expect(refusedAt).toBeGreaterThanOrEqual(Math.floor(5000 / 16));
    expect(refusedAt).toBeLessThanOrEqual(Math.ceil(5000 / 16) + 1);
    expect(s.closedWith).toBe(1000);
    expect(states.at(-1)).toBe('reconnecting');
    for (let t = 0; t < 60_000 && sockets.length < 2; t += 100) clock.advance(100); // the backoff retry
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    expect(states.at(-1)).toBe('live');
    expect(conn.send(FRAME)).toBe(true); // a fresh socket starts with a clean slate
  });

  it('does not count time when nothing is sent (an idle phone is not a dead one)', () => {
    const { conn, sockets, clock } = setup(5000);
    const s = sockets[0]!;
    s.bufferedAmount = 50;
    expect(conn.send(FRAME)).toBe(true); // buffered, no progress yet: the clock starts
    clock.advance(4000);
    s.bufferedAmount = 0; // drained while the user did nothing
    clock.advance(60_000);
    expect(conn.send(FRAME)).toBe(true);
    expect(sockets).toHaveLength(1);
  });
});
