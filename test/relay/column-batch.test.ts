/**
 * The f32-columns queue's rules, with a fake outlet whose backlog the test controls and fake timers for the ticks.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ColumnReader, decodeColumns, type ColumnFrame, type UpdateMessage } from '../../src/protocol/index.js';
import { ColumnBatch, type BinaryOutlet } from '../../src/relay/column-batch.js';
import { LowestFree } from '../../src/relay/lowest-free.js';
import { RelayMetrics } from '../../src/relay/metrics.js';

type Sent = { text: string } | { frame: ColumnFrame };

class FakeConn implements BinaryOutlet {
  backlog = 0;
  isOpen = true;
  readonly sent: Sent[] = [];
  send(text: string): void {
    this.sent.push({ text });
  }
  sendBinary(bytes: Uint8Array): void {
    const r = decodeColumns(bytes);
    if (!r.ok) throw new Error(`the relay wrote a bad frame: ${r.message}`);
    this.sent.push({ frame: r.frame });
  }
  take(): Sent[] {
    return this.sent.splice(0);
  }
}

const HIGH = 1000;
const HZ = 10;
const TICK = 100;
const con = (id: string): string => `{"type":"connect","sliderId":"${id}"}`;
const del = (id: string, reason = 'closed'): string => `{"type":"delete","sliderId":"${id}","reason":"${reason}"}`;
const upd = (id: string, x: number, extra: Partial<UpdateMessage> = {}): UpdateMessage => ({ x, y: -x, speed: 1, angle: 2, sliderId: id, ...extra });

function setup(maxIndex?: number): { conn: FakeConn; q: ColumnBatch; metrics: RelayMetrics } {
  vi.useFakeTimers();
  const conn = new FakeConn();
  const metrics = new RelayMetrics();
  const q = new ColumnBatch(conn, { metrics, highWaterBytes: HIGH }, HZ, maxIndex);
  return { conn, q, metrics };
}

function push(q: ColumnBatch, kind: 'connect' | 'update' | 'delete', id: string, u?: UpdateMessage, recvAt = -1): void {
  if (kind === 'connect') q.push(id, 'connect', con(id), recvAt);
  else if (kind === 'delete') q.push(id, 'delete', del(id), recvAt);
  else q.push(id, 'update', 'text unused', recvAt, u);
}

const rows = (f: ColumnFrame): Array<[number, number]> => Array.from(f.index, (k, i) => [k, f.x[i]!]);

afterEach(() => {
  vi.useRealTimers();
});

describe('LowestFree', () => {
  it('hands out the lowest free index, reusing freed ones, up to its limit', () => {
    const a = new LowestFree(4);
    expect([a.take(), a.take(), a.take()]).toEqual([0, 1, 2]);
    a.free(1);
    a.free(0);
    expect(a.take()).toBe(0);
    expect(a.take()).toBe(1);
    expect(a.take()).toBe(3);
    expect(a.take()).toBe(-1);
    expect(a.used).toBe(4);
  });

  it('always equals the smallest index not in use (any sequence of takes and frees)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(200)), { maxLength: 300 }), (ops) => {
        const a = new LowestFree(64);
        const used = new Set<number>();
        for (const [take, pick] of ops) {
          if (take || used.size === 0) {
            let lowest = 0;
            while (used.has(lowest)) lowest++;
            const got = a.take();
            expect(got).toBe(lowest < 64 ? lowest : -1);
            if (got >= 0) used.add(got);
          } else {
            const victim = [...used][pick % used.size]!;
            used.delete(victim);
            a.free(victim);
          }
          expect(a.used).toBe(used.size);
        }
      }),
    );
  });
});

describe('ColumnBatch', () => {
  it('per tick: joins as text with their index, then one binary frame with the latest update per user', () => {
    const { conn, q, metrics } = setup();
    push(q, 'connect', 'a');
    push(q, 'connect', 'b');
    for (let x = 0; x < 5; x++) {
      push(q, 'update', 'a', upd('a', x, { seq: x, t: 1000 + x }), performance.now());
      push(q, 'update', 'b', upd('b', -x), performance.now());
    }
    expect(conn.sent).toEqual([]); // nothing before the tick
    vi.advanceTimersByTime(TICK);
    const sent = conn.take();
    expect(sent.slice(0, 2)).toEqual([{ text: '{"type":"connect","sliderId":"a","index":0}' }, { text: '{"type":"connect","sliderId":"b","index":1}' }]);
    expect(sent).toHaveLength(3);
    const f = (sent[2] as { frame: ColumnFrame }).frame;
    expect(f.batch).toBe(0);
    expect(rows(f)).toEqual([
      [0, 4],
      [1, -4],
    ]);
    expect(f.seq![0]).toBe(4);
    expect(f.seq![1]).toBeNaN();
    expect(f.t0 + f.dt![0]!).toBe(1004);
    expect(f.dt![1]).toBeNaN();
    expect(metrics.batchCoalesced).toBe(8);
    expect(metrics.latency.count).toBe(2);
    // Quiet tick: nothing; then only the user who moved, in batch 1.
    vi.advanceTimersByTime(TICK);
    expect(conn.take()).toEqual([]);
    push(q, 'update', 'b', upd('b', 7));
    vi.advanceTimersByTime(TICK);
    const next = conn.take();
    expect(next).toHaveLength(1);
    expect((next[0] as { frame: ColumnFrame }).frame.batch).toBe(1);
    expect(rows((next[0] as { frame: ColumnFrame }).frame)).toEqual([[1, 7]]);
  });

  it('a leave frees the index for the next join (leave before the join that reuses it), with the reason', () => {
    const { conn, q } = setup();
    for (const id of ['a', 'b', 'c']) push(q, 'connect', id);
    vi.advanceTimersByTime(TICK);
    conn.take();
    push(q, 'update', 'b', upd('b', 1));
    push(q, 'delete', 'b'); // its update goes with it
    push(q, 'connect', 'd');
    push(q, 'update', 'd', upd('d', 9));
    push(q, 'connect', 'e');
    vi.advanceTimersByTime(TICK);
    const sent = conn.take();
    expect(sent.slice(0, 3)).toEqual([
      { text: '{"type":"delete","sliderId":"b","reason":"closed","index":1}' },
      { text: '{"type":"connect","sliderId":"d","index":1}' },
      { text: '{"type":"connect","sliderId":"e","index":3}' },
    ]);
    expect(rows((sent[3] as { frame: ColumnFrame }).frame)).toEqual([[1, 9]]);
  });

  it('a user who joined and left within one tick is never seen, and its index is free again', () => {
    const { conn, q, metrics } = setup();
    push(q, 'connect', 'a');
    push(q, 'connect', 'ghost');
    push(q, 'update', 'ghost', upd('ghost', 3));
    push(q, 'delete', 'ghost');
    push(q, 'connect', 'c');
    vi.advanceTimersByTime(TICK);
    expect(conn.take()).toEqual([{ text: '{"type":"connect","sliderId":"a","index":0}' }, { text: '{"type":"connect","sliderId":"c","index":1}' }]);
    expect(metrics.batchCoalesced).toBe(3); // connect, update and delete of the ghost
  });

  it('left and back within one tick: the leave, then a join, then its update', () => {
    const { conn, q } = setup();
    push(q, 'connect', 'a');
    vi.advanceTimersByTime(TICK);
    conn.take();
    push(q, 'delete', 'a');
    push(q, 'connect', 'a');
    push(q, 'update', 'a', upd('a', 5));
    vi.advanceTimersByTime(TICK);
    const sent = conn.take();
    expect(sent.slice(0, 2)).toEqual([{ text: '{"type":"delete","sliderId":"a","reason":"closed","index":0}' }, { text: '{"type":"connect","sliderId":"a","index":0}' }]);
    expect(rows((sent[2] as { frame: ColumnFrame }).frame)).toEqual([[0, 5]]);
  });

  it('back-pressure: a tick above the high-water mark is skipped; the next carries the latest, replaced ones counted', () => {
    const { conn, q, metrics } = setup();
    push(q, 'connect', 'a');
    vi.advanceTimersByTime(TICK);
    conn.take();
    conn.backlog = HIGH + 1;
    push(q, 'update', 'a', upd('a', 1));
    vi.advanceTimersByTime(TICK);
    expect(conn.take()).toEqual([]);
    push(q, 'update', 'a', upd('a', 2));
    push(q, 'connect', 'b');
    push(q, 'update', 'b', upd('b', 3));
    vi.advanceTimersByTime(3 * TICK);
    expect(conn.take()).toEqual([]);
    expect(metrics.dropped.backpressure).toBe(1);
    conn.backlog = 0;
    vi.advanceTimersByTime(TICK);
    const sent = conn.take();
    expect(sent[0]).toEqual({ text: '{"type":"connect","sliderId":"b","index":1}' });
    expect(rows((sent[1] as { frame: ColumnFrame }).frame)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it('churn while congested keeps the queue bounded by the users present', () => {
    const { conn, q } = setup();
    conn.backlog = HIGH + 1;
    push(q, 'connect', 'stay');
    for (let i = 0; i < 5000; i++) {
      push(q, 'connect', `c${i}`);
      push(q, 'update', `c${i}`, upd(`c${i}`, i));
      push(q, 'delete', `c${i}`);
    }
    vi.advanceTimersByTime(TICK);
    expect(q.size).toBeLessThan(1100); // holes are compacted; only 'stay' is really pending
    conn.backlog = 0;
    vi.advanceTimersByTime(TICK);
    expect(conn.take()).toEqual([{ text: '{"type":"connect","sliderId":"stay","index":0}' }]);
  });

  it('an update that comes as text only is read from its text', () => {
    const { conn, q } = setup();
    push(q, 'connect', 'a');
    q.push('a', 'update', '{"x":3.5,"y":-1,"speed":2,"angle":4,"sliderId":"a","seq":9,"t":100}', -1);
    vi.advanceTimersByTime(TICK);
    const f = (conn.take()[1] as { frame: ColumnFrame }).frame;
    expect([f.index[0], f.x[0], f.y[0], f.speed[0], f.angle[0], f.seq![0], f.t0 + f.dt![0]!]).toEqual([0, 3.5, -1, 2, 4, 9, 100]);
  });

  it('out of indices: later users are not sent to this sink, and counted', () => {
    const { conn, q, metrics } = setup(2);
    for (const id of ['a', 'b', 'c']) {
      push(q, 'connect', id);
      push(q, 'update', id, upd(id, 1));
    }
    vi.advanceTimersByTime(TICK);
    const sent = conn.take();
    expect(sent.filter((s) => 'text' in s)).toHaveLength(2);
    expect(rows((sent[2] as { frame: ColumnFrame }).frame).map(([k]) => k)).toEqual([0, 1]);
    expect(metrics.columnsIndexFull).toBe(1);
    push(q, 'delete', 'a');
    push(q, 'connect', 'c');
    vi.advanceTimersByTime(TICK);
    expect(conn.take()).toEqual([{ text: '{"type":"delete","sliderId":"a","reason":"closed","index":0}' }, { text: '{"type":"connect","sliderId":"c","index":0}' }]);
  });

  it('any sequence of joins, updates and leaves reads back, through a reader, as the users present and their latest values', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('connect' as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant('update' as const), id: fc.constantFrom(...ids), x: fc.integer({ min: -170, max: 170 }) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant('tick' as const), congested: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const { conn, q, metrics } = setup(4); // fewer indices than ids: exhaustion is part of the game
        const truth = new Map<string, number | undefined>(); // what the relay would have the sink show
        const reader = new ColumnReader();
        const table = new Map<string, number | undefined>();
        const drain = (): void => {
          for (const s of conn.take()) {
            if ('text' in s) {
              const m = JSON.parse(s.text) as { type: string; sliderId: string; index: number };
              if (m.type === 'connect') {
                expect(reader.join(m.index, m.sliderId)).toBe(true);
                table.set(m.sliderId, undefined);
              } else {
                expect(reader.leave(m.index, m.sliderId)).toBe(true);
                table.delete(m.sliderId);
              }
            } else {
              // Reads every row (problems would be counted and fail the check below).
              const bytes = s.frame;
              for (let i = 0; i < bytes.count; i++) {
                const id = reader.idAt(bytes.index[i]!);
                expect(id).toBeDefined();
                table.set(id as string, bytes.x[i]);
              }
            }
          }
        };
        for (const o of ops) {
          if (o.kind === 'tick') {
            conn.backlog = o.congested ? HIGH + 1 : 0;
            vi.advanceTimersByTime(TICK);
            drain();
          } else if (o.kind === 'connect') {
            if (truth.has(o.id)) continue; // the relay connects only users the sinks do not have
            truth.set(o.id, undefined);
            push(q, 'connect', o.id);
          } else if (o.kind === 'update') {
            if (!truth.has(o.id)) continue;
            truth.set(o.id, o.x);
            push(q, 'update', o.id, upd(o.id, o.x));
          } else {
            if (!truth.has(o.id)) continue;
            truth.delete(o.id);
            push(q, 'delete', o.id);
          }
        }
        conn.backlog = 0;
        vi.advanceTimersByTime(TICK);
        drain();
        for (const p of Object.values(reader.problems)) expect(p).toBe(0);
        if (metrics.columnsIndexFull === 0) {
          expect(table).toEqual(truth);
        } else {
          // Users who found no free index are missing; every one shown is present, with its latest value.
          for (const [id, x] of table) {
            expect(truth.has(id)).toBe(true);
            if (x !== undefined) expect(x).toBe(truth.get(id));
          }
        }
        q.close();
        vi.useRealTimers();
      }),
      { numRuns: 300 },
    );
  });
});
