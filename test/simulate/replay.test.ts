import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayError } from '../../src/simulate/errors.js';
import { planReplay } from '../../src/simulate/replay.js';
import { startForwarder, type Forwarder } from './helpers/forwarder.js';
import { simulate } from './helpers/run.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/small-relay-log.jsonl', import.meta.url));
const log = readFileSync(FIXTURE, 'utf8');

describe('planReplay: which frames, on which connection, when', () => {
  it('keeps controller frames per original connection at their offsets from the first one', () => {
    const plan = planReplay(log, 1);
    expect(plan.connections.map((c) => [c.conn, c.id, c.frames.map((f) => [f.atMs, f.kind])])).toEqual([
      [2, 5, [[0, 'connect'], [100, 'update'], [700, 'update'], [900, 'delete']]],
      [3, 'abc', [[300, 'connect'], [500, 'update'], [600, 'other'], [1000, 'update']]],
    ]);
    expect(plan.frames).toBe(8);
    expect(plan.durationMs).toBe(1000);
    expect(plan.skipped).toEqual({ outbound: 2, notController: 2, keepAlive: 1, plainLines: 0 });
  });

  it('sends payloads exactly as recorded, malformed ones included', () => {
    const frames = planReplay(log, 1).connections[1]!.frames;
    expect(frames[2]!.text).toBe('garbage{');
    expect(JSON.parse(frames[1]!.text)).toEqual({ x: 0, y: -20, speed: 11.76, angle: 90, sliderId: 'abc', seq: 0, t: 1500 });
  });

  it('expects at the sink only valid updates for the connection’s own id that the relay did not drop', () => {
    const plan = planReplay(log, 1);
    const expected = plan.connections.flatMap((c) => c.frames.filter((f) => f.expectKey !== undefined).map((f) => f.atMs));
    expect(expected).toEqual([100, 500, 1000]);
  });

  it('divides every offset by the speed factor', () => {
    const at = (speed: number) => planReplay(log, speed).connections.flatMap((c) => c.frames.map((f) => f.atMs));
    expect(at(2)).toEqual(at(1).map((t) => t / 2));
    expect(at(0.5)).toEqual(at(1).map((t) => t * 2));
  });

  it('refuses input it cannot replay, with the reason', () => {
    expect(() => planReplay('{"x":1,"y":1,"speed":1,"angle":1,"sliderId":1}\n', 1)).toThrow(/plain JSONL has no timing/);
    expect(() => planReplay('not json\n', 1, 'bad.jsonl')).toThrow(ReplayError);
    expect(() => planReplay('not json\n', 1, 'bad.jsonl')).toThrow(/bad\.jsonl:1: not JSON/);
    expect(() => planReplay('{"ts":1,"dir":"in","conn":1,"role":"sink","msg":{"type":"hello","role":"sink"}}\n', 1)).toThrow(/no controller frames/);
  });
});

describe('replay on the wire', () => {
  let fwd: Forwarder | undefined;
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await fwd?.close();
    fwd = undefined;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('plays each connection’s frames in order on its own socket, never before their (sped-up) time', async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => server!.once('listening', () => r()));
    const received: { conn: number; text: string; at: number }[] = [];
    let nextConn = 0;
    server.on('connection', (ws) => {
      const conn = nextConn++;
      ws.on('message', (d: Buffer) => received.push({ conn, text: d.toString(), at: performance.now() }));
    });
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    const speed = 2;
    const { report } = await simulate({ url, replay: FIXTURE, speed: String(speed) });

    const plan = planReplay(log, speed);
    expect(received).toHaveLength(plan.frames);
    expect(report.replay).toMatchObject({ frames: 8, connections: 2, unsent: 0 });
    const sockets = new Map<number, string[]>();
    for (const r of received) sockets.set(r.conn, [...(sockets.get(r.conn) ?? []), r.text]);
    expect([...sockets.values()].sort((a, b) => a.length - b.length || a[0]!.localeCompare(b[0]!))).toEqual(
      plan.connections.map((c) => c.frames.map((f) => f.text)).sort((a, b) => a.length - b.length || a[0]!.localeCompare(b[0]!)),
    );
    // Offsets are kept: measured from the first frame, none arrives earlier than scheduled — less however late
    // the first one went out on a loaded machine (the runner reports that), less one 5 ms tick of granularity.
    const byText = new Map(plan.connections.flatMap((c) => c.frames.map((f) => [f.text, f.atMs] as const)));
    const slack = report.replay!.maxLateMs + 6;
    const t0 = received[0]!.at;
    for (const r of received) expect(r.at - t0).toBeGreaterThanOrEqual(byText.get(r.text)! - slack);
    expect(received[received.length - 1]!.at - t0).toBeGreaterThanOrEqual(plan.durationMs - slack);
  });

  it('measures replayed updates at the sink by their values (no stamps needed)', async () => {
    fwd = await startForwarder();
    const { report } = await simulate({ url: fwd.url, replay: FIXTURE, speed: '4', sink: true });
    expect(report.measurement).toBe('matched');
    expect(report.sent).toBe(3);
    expect(report.delivered).toBe(3);
    expect(report.deliveryRatio).toBe(1);
    expect(report.latencyMs.count).toBe(3);
    expect(report.ghostUsers).toBe(0);
    expect(report.sink?.foreign).toBeGreaterThanOrEqual(1); // the id_mismatch frame speaks for id 6
  });
});
