/**
 * f32-columns on a real relay over loopback sockets: a JSON sink and f32 sinks on the same run of phones must end
 * with the same table (same ids, the same values as float32), every binary frame decoding cleanly.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeColumns, encodingFrame, helloFrame, type LogEntry } from '../../src/protocol/index.js';
import { ColumnSink } from '../helpers/column-sink.js';
import { crowdRun } from '../helpers/columns-run.js';
import { tableOf, type Json, update } from '../helpers/messages.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { sleep, until } from '../helpers/wait.js';

const { start, keep } = useRelays();
const MANY = { maxPerAddress: 1000 };
const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The f32 sink's table as the JSON sink's would read after rounding to float32. */
function expectSameTable(columns: ColumnSink, json: Map<string, Json>): void {
  expect([...columns.table.keys()].sort()).toEqual([...json.keys()].sort());
  for (const [key, row] of columns.table) {
    const m = json.get(key)!;
    expect(row.id).toStrictEqual(m.sliderId); // the id as first claimed, integer or string
    expect(row.values).toBeDefined();
    const v = row.values!;
    expect([v.x, v.y, v.speed, v.angle]).toEqual([m.x, m.y, m.speed, m.angle].map((n) => Math.fround(n as number)));
    expect(v.seq).toBe(m.seq);
    expect(Math.abs(v.t! - (m.t as number))).toBeLessThan(0.001);
  }
}

/** Replays the joins and leaves against "the lowest index not in use": the relay's promise to each sink. */
function expectLowestFree(links: ColumnSink['links']): number {
  const used = new Map<number, string>();
  let reused = 0;
  const everUsed = new Set<number>();
  for (const l of links) {
    if (l.type === 'connect') {
      let lowest = 0;
      while (used.has(lowest)) lowest++;
      expect(l.index).toBe(lowest);
      if (everUsed.has(l.index)) reused++;
      used.set(l.index, String(l.id));
      everUsed.add(l.index);
    } else {
      expect(used.get(l.index)).toBe(String(l.id));
      used.delete(l.index);
    }
  }
  return reused;
}

describe('f32-columns sinks next to a JSON sink', () => {
  it('same final state and ids, every frame decoded, indices lowest-free and reused after leaves; the log holds the frames', async () => {
    const log = join(dir, 'run.jsonl');
    const relay = await start({ ...MANY, log });
    const jsonSink = keep(await sink(relay, { batchHz: 20 }));
    const early = await ColumnSink.open(relay, 20);
    keep(early.peer);
    let late: ColumnSink | undefined;
    let presentMidway: string[] = [];
    const run = await crowdRun(relay, {
      midway: async (present) => {
        presentMidway = present;
        late = await ColumnSink.open(relay, 30);
        keep(late.peer);
      },
    });
    run.phones.forEach(keep);
    const lastSeq = (t: Map<string, { values?: { seq?: number } | undefined }>): boolean =>
      [...run.truth].every(([k, m]) => t.get(k)?.values?.seq === m.seq);
    await until(() => {
      const rows = tableOf(jsonSink.messages);
      return rows.size === run.truth.size && [...run.truth].every(([k, m]) => rows.get(k)?.seq === m.seq) && lastSeq(early.table) && lastSeq(late!.table);
    }, 'every sink to show the final state');

    const json = tableOf(jsonSink.messages);
    expect(json).toEqual(run.truth);
    for (const s of [early, late!]) {
      expectSameTable(s, json);
      expect(s.problemCount()).toBe(0);
      expect(s.invalid).toEqual([]);
      expect(s.textUpdates).toBe(0);
      expect(s.reader.frames).toBe(s.binaries);
      // The acknowledgement came first, before any join.
      expect(s.received[0]).toEqual({ text: encodingFrame() });
    }
    expect(expectLowestFree(early.links)).toBeGreaterThan(0); // leaves happened, newcomers reused their indices
    expectLowestFree(late!.links);
    // The late sink's snapshot: one join per user present then, all before its first binary frame.
    const firstBinary = late!.received.findIndex((f) => 'bin' in f);
    const snapshot = late!.links.slice(0, presentMidway.length);
    expect(snapshot.every((l) => l.type === 'connect')).toBe(true);
    expect(snapshot.map((l) => String(l.id)).sort()).toEqual([...presentMidway].sort());
    const lastSnapshotJoin = late!.received.findIndex((f) => 'text' in f && f.text.includes(`"index":${snapshot.at(-1)!.index}}`));
    expect(lastSnapshotJoin).toBeLessThan(firstBinary);
    // Batch numbers count up from 0 per sink.
    const batches = early.received.flatMap((f) => ('bin' in f ? [(decodeColumns(f.bin) as { ok: true; frame: { batch: number } }).frame.batch] : []));
    expect(batches).toEqual(batches.map((_, i) => i));

    await relay.close();
    // Every binary frame the early sink got is in the log, base64 under `bin`, in order, byte for byte.
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogEntry);
    const conn = entries.find((e) => e.dir === 'in' && e.role === 'sink' && typeof e.msg === 'object' && (e.msg as Json).encoding === 'f32-columns')!.conn;
    const logged = entries.filter((e) => e.conn === conn && e.bin !== undefined);
    expect(logged.map((e) => e.msg)).toEqual(early.received.flatMap((f) => ('bin' in f ? [`<binary frame, ${f.bin.byteLength} bytes>`] : [])));
    expect(logged.map((e) => Buffer.from(e.bin!, 'base64'))).toEqual(early.received.flatMap((f) => ('bin' in f ? [f.bin] : [])));
  });

  it('a hello with an unknown encoding is refused clearly and admits nothing; a plain hello then gets JSON', async () => {
    const relay = await start();
    const c = keep(await claim(relay, 7));
    c.send(update(7, 10));
    const p = keep(await Peer.open(relay.url));
    p.send({ type: 'hello', role: 'sink', batchHz: 20, encoding: 'f16-rows' });
    const err = await p.waitForMessage((m) => m.type === 'error', 'the refusal');
    expect(err).toEqual({ type: 'error', code: 'schema', message: 'hello: /encoding must be one of "json", "f32-columns"' });
    expect(relay.metrics().connections.sink).toBe(0);
    // f32-columns without batchHz: refused too, naming what is missing.
    await sleep(1100); // the relay answers errors at most once a second per connection
    p.send({ type: 'hello', role: 'sink', encoding: 'f32-columns' });
    const second = await p.waitForMessage((m) => m.type === 'error' && m !== err, 'the second refusal');
    expect(second.code).toBe('schema');
    expect(String(second.message)).toMatch(/batchHz/);
    // The fallback: a plain hello on the same connection is admitted and gets JSON (no ack, no binary frames).
    p.send(helloFrame({ batchHz: 20 }));
    const batch = await p.waitForMessage((m) => m.type === 'batch', 'a JSON batch');
    expect(batch.messages).toEqual([{ type: 'connect', sliderId: 7, hue: expect.any(Number) }, update(7, 10)]);
    expect(p.messages.some((m) => m.type === 'encoding')).toBe(false);
    expect(p.binaries).toBe(0);
  });

  it('broadcast mode: an f32-columns sink gets column batches there too', async () => {
    const relay = await start({ mode: 'broadcast' });
    const columns = await ColumnSink.open(relay, 20);
    keep(columns.peer);
    const c = keep(await claim(relay, 3));
    c.send(update(3, -4.25, 8, { seq: 1, t: 2 }));
    await until(() => columns.table.get('3')?.values !== undefined, 'the row');
    expect(columns.table.get('3')!.values).toEqual({ x: -4.25, y: 8, speed: Math.fround(update(3, -4.25, 8).speed as number), angle: Math.fround(update(3, -4.25, 8).angle as number), seq: 1, t: 2 });
    expect(columns.textUpdates + columns.problemCount()).toBe(0);
  });

  it('a JSON sink gets the same frames as before: no index, no acknowledgement, no binary', async () => {
    const relay = await start();
    const plain = keep(await sink(relay));
    const batched = keep(await sink(relay, { batchHz: 20, encoding: 'json' }));
    const columns = await ColumnSink.open(relay, 20);
    keep(columns.peer);
    const c = keep(await claim(relay, 'a'));
    c.send(update('a', 1, 2, { seq: 0, t: 5 }));
    await until(() => columns.table.get('a')?.values !== undefined, 'the f32 row');
    await batched.waitForMessage((m) => m.type === 'batch' && JSON.stringify(m).includes('"seq"'), 'the batched update');
    c.send({ type: 'delete', sliderId: 'a' });
    await plain.waitForMessage((m) => m.type === 'delete', 'the delete');
    await batched.waitForMessage((m) => m.type === 'batch' && JSON.stringify(m).includes('"delete"'), 'the batched delete');
    await until(() => columns.table.size === 0, 'the f32 leave');
    const hue = c.ofType('welcome')[0]!.hue as number;
    expect(plain.texts).toEqual([`{"type":"connect","sliderId":"a","hue":${hue}}`, JSON.stringify(update('a', 1, 2, { seq: 0, t: 5 })), '{"type":"delete","sliderId":"a","reason":"client"}']);
    expect(batched.messages.flatMap((b) => b.messages as Json[])).toEqual([{ type: 'connect', sliderId: 'a', hue }, update('a', 1, 2, { seq: 0, t: 5 }), { type: 'delete', sliderId: 'a', reason: 'client' }]);
    expect(batched.binaries + plain.binaries).toBe(0);
    expect([...plain.messages, ...batched.messages].some((m) => 'index' in m || m.type === 'encoding')).toBe(false);
    // The f32 sink: the acknowledgement, the join, one binary frame, the leave.
    expect(columns.links).toEqual([
      { type: 'connect', id: 'a', index: 0 },
      { type: 'delete', id: 'a', index: 0 },
    ]);
    expect(columns.received.map((f) => ('bin' in f ? 'bin' : f.text))).toEqual([
      encodingFrame(),
      `{"type":"connect","sliderId":"a","hue":${hue},"index":0}`,
      'bin',
      '{"type":"delete","sliderId":"a","reason":"client","index":0}',
    ]);
    expect(columns.textUpdates + columns.problemCount()).toBe(0);
  });
});
