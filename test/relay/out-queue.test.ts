/**
 * The per-recipient queue's rules, with a fake outlet whose backlog the test controls.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_BATCH_FRAME_BYTES, MAX_BATCH_MESSAGES } from '../../src/protocol/index.js';
import { RelayMetrics } from '../../src/relay/metrics.js';
import { OutQueue, type Outlet } from '../../src/relay/out-queue.js';

class FakeConn implements Outlet {
  backlog = 0;
  isOpen = true;
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
}

const HIGH = 1000;
const upd = (id: string, x: number): string => `{"x":${x},"y":0,"speed":0,"angle":0,"sliderId":"${id}"}`;
const con = (id: string): string => `{"type":"connect","sliderId":"${id}"}`;
const del = (id: string, reason = 'closed'): string => `{"type":"delete","sliderId":"${id}","reason":"${reason}"}`;

function setup(batchHz?: number): { conn: FakeConn; q: OutQueue; metrics: RelayMetrics } {
  const conn = new FakeConn();
  const metrics = new RelayMetrics();
  const q = new OutQueue(conn, { metrics, highWaterBytes: HIGH }, batchHz);
  return { conn, q, metrics };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OutQueue, direct', () => {
  it('sends at once while the backlog is under the high-water mark', () => {
    const { conn, q, metrics } = setup();
    q.push('a', 'connect', con('a'), 1);
    q.push('a', 'update', upd('a', 1), 1);
    expect(conn.sent).toEqual([con('a'), upd('a', 1)]);
    expect(q.size).toBe(0);
    expect(metrics.latency.count).toBe(2);
  });

  it('coalesces above it: latest update per user wins, skipped ones counted, flushed when drained', () => {
    vi.useFakeTimers();
    const { conn, q, metrics } = setup();
    conn.backlog = HIGH + 1;
    for (let x = 0; x < 100; x++) {
      q.push('a', 'update', upd('a', x), 1);
      q.push('b', 'update', upd('b', -x), 1);
    }
    expect(conn.sent).toEqual([]);
    expect(q.size).toBe(2);
    expect(metrics.dropped.backpressure).toBe(2 * 99);
    vi.advanceTimersByTime(100); // still backed up: nothing leaves
    expect(conn.sent).toEqual([]);
    conn.backlog = HIGH / 2 + 1; // hysteresis: not drained enough yet
    vi.advanceTimersByTime(100);
    expect(conn.sent).toEqual([]);
    conn.backlog = 0;
    vi.advanceTimersByTime(100);
    expect(conn.sent).toEqual([upd('a', 99), upd('b', -99)]);
    expect(q.size).toBe(0);
    // Back to direct sending.
    q.push('a', 'update', upd('a', 5), 1);
    expect(conn.sent.at(-1)).toBe(upd('a', 5));
  });

  it('keeps a delete and a later connect in order, and drops updates made stale by a delete', () => {
    vi.useFakeTimers();
    const { conn, q, metrics } = setup();
    conn.backlog = HIGH + 1;
    q.push('a', 'update', upd('a', 1), 1); // the sink has a; this update is stale once a leaves
    q.push('a', 'delete', del('a'), -1);
    q.push('a', 'connect', con('a'), 1);
    q.push('a', 'update', upd('a', 2), 1);
    conn.backlog = 0;
    vi.advanceTimersByTime(50);
    expect(conn.sent).toEqual([del('a'), con('a'), upd('a', 2)]);
    expect(metrics.dropped.backpressure).toBe(1);
  });

  it('a user who joined and left during the stall never reaches the sink', () => {
    vi.useFakeTimers();
    const { conn, q, metrics } = setup();
    conn.backlog = HIGH + 1;
    q.push('b', 'update', upd('b', 0), 1); // enters coalescing
    q.push('c', 'connect', con('c'), 1);
    q.push('c', 'update', upd('c', 1), 1);
    q.push('c', 'delete', del('c', 'client'), 1);
    expect(q.size).toBe(1); // memory: only b
    conn.backlog = 0;
    vi.advanceTimersByTime(50);
    expect(conn.sent).toEqual([upd('b', 0)]);
    expect(metrics.dropped.backpressure).toBe(3);
  });

  it('stays bounded by users however long the stall', () => {
    const { conn, q } = setup();
    conn.backlog = HIGH + 1;
    for (let i = 0; i < 100_000; i++) q.push(`u${i % 50}`, 'update', upd(`u${i % 50}`, i % 170), 1);
    expect(q.size).toBe(50);
    q.close();
  });
});

describe('OutQueue, batch', () => {
  it('one batch frame per tick with the latest update per user, connects and deletes kept; nothing when idle', () => {
    vi.useFakeTimers();
    const { conn, q, metrics } = setup(10);
    q.push('b', 'connect', con('b'), 1);
    vi.advanceTimersByTime(100); // the sink now has b
    conn.sent.length = 0;
    q.push('a', 'connect', con('a'), 1);
    for (let x = 0; x < 5; x++) q.push('a', 'update', upd('a', x), 1);
    q.push('b', 'delete', del('b', 'client'), 1);
    expect(conn.sent).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(conn.sent).toHaveLength(1);
    expect(JSON.parse(conn.sent[0]!)).toEqual({
      type: 'batch',
      messages: [JSON.parse(con('a')), JSON.parse(upd('a', 4)), JSON.parse(del('b', 'client'))],
    });
    expect(metrics.batchCoalesced).toBe(4);
    expect(metrics.dropped.backpressure).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(conn.sent).toHaveLength(1);
    q.close();
  });

  it('a user who joins and leaves between two ticks never reaches the sink: dropped as a pair, counted as coalesced', () => {
    vi.useFakeTimers();
    const { conn, q, metrics } = setup(10);
    q.push('keep', 'update', upd('keep', 1), 1);
    for (let i = 0; i < 1000; i++) {
      q.push(`c${i}`, 'connect', con(`c${i}`), 1);
      q.push(`c${i}`, 'update', upd(`c${i}`, 3), 1);
      q.push(`c${i}`, 'delete', del(`c${i}`), 1);
    }
    expect(q.size).toBe(1); // churn between ticks holds nothing
    vi.advanceTimersByTime(100);
    expect(conn.sent.map((f) => JSON.parse(f) as unknown)).toEqual([{ type: 'batch', messages: [JSON.parse(upd('keep', 1))] }]);
    expect(metrics.batchCoalesced).toBe(3000);
    expect(metrics.dropped.backpressure).toBe(0);
    q.close();
  });

  it('a tick over MAX_BATCH_MESSAGES is split over several frames, in order', () => {
    vi.useFakeTimers();
    const { conn, q } = setup(10);
    const n = 2 * MAX_BATCH_MESSAGES + 5000;
    for (let i = 0; i < n; i++) q.push(`u${i}`, 'update', upd(`u${i}`, i % 170), 1);
    vi.advanceTimersByTime(100);
    const frames = conn.sent.map((f) => JSON.parse(f) as { type: string; messages: { sliderId: string }[] });
    expect(frames.map((f) => f.messages.length)).toEqual([MAX_BATCH_MESSAGES, MAX_BATCH_MESSAGES, 5000]);
    expect(frames.every((f) => f.type === 'batch')).toBe(true);
    expect(frames.flatMap((f) => f.messages.map((m) => m.sliderId))).toEqual(Array.from({ length: n }, (_, i) => `u${i}`));
    q.close();
  });

  it('a tick over MAX_BATCH_FRAME_BYTES is split so that no frame passes it', () => {
    vi.useFakeTimers();
    const { conn, q } = setup(10);
    // 10 000 users whose messages are close to the 1 KiB a message may take: ~10 MB in one tick
    const big = (id: string): string => `{"x":1,"y":0,"speed":0,"angle":0,"sliderId":"${id}"${' '.repeat(960)}}`;
    for (let i = 0; i < 10_000; i++) q.push(`u${i}`, 'update', big(`u${i}`), 1);
    vi.advanceTimersByTime(100);
    expect(conn.sent.length).toBe(3);
    for (const f of conn.sent) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(MAX_BATCH_FRAME_BYTES);
    expect(conn.sent.reduce((n, f) => n + (JSON.parse(f) as { messages: unknown[] }).messages.length, 0)).toBe(10_000);
    q.close();
  });

  it('skips a tick while the sink is backed up, and then counts replaced updates as back-pressure', () => {
    vi.useFakeTimers();
    const { conn, q, metrics } = setup(10);
    q.push('a', 'update', upd('a', 1), 1);
    conn.backlog = HIGH + 1;
    vi.advanceTimersByTime(100);
    expect(conn.sent).toEqual([]);
    q.push('a', 'update', upd('a', 2), 1);
    expect(metrics.dropped.backpressure).toBe(1);
    conn.backlog = 0;
    vi.advanceTimersByTime(100);
    expect(JSON.parse(conn.sent[0]!)).toEqual({ type: 'batch', messages: [JSON.parse(upd('a', 2))] });
    q.close();
  });
});
