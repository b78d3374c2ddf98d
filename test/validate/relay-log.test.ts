/**
 * The validator against a log the real relay wrote (`--log`): honest traffic validates clean; each kind of
 * hostile frame is reported on its line, labelled with the reason the relay dropped it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { validateFiles, type Report } from '../../src/validate/index.js';
import { Peer } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { scratch } from './helpers.js';

const update = (id: number, i: number) => JSON.stringify({ x: i % 170, y: -(i % 170), speed: 50, angle: 90, sliderId: id, seq: i });

let tmp: ReturnType<typeof scratch>;
let honestLog: string;
let hostileLog: string;
let floodLog: string;
let floodDropped = 0;

async function record(file: string, script: (relay: RelayHandle) => Promise<void>): Promise<void> {
  const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, log: file });
  try {
    await script(relay);
  } finally {
    await relay.close();
  }
}

beforeAll(async () => {
  tmp = scratch();
  honestLog = join(tmp.dir, 'honest.jsonl');
  hostileLog = join(tmp.dir, 'hostile.jsonl');

  await record(honestLog, async (relay) => {
    const sink = await Peer.open(relay.url);
    sink.ws.send(JSON.stringify({ type: 'hello', role: 'sink' }));
    await until(() => relay.metrics().connections.sink === 1, 'the sink to be admitted');
    const phones = await Promise.all([1, 2, 3].map(() => Peer.open(relay.url)));
    for (const [n, p] of phones.entries()) p.ws.send(JSON.stringify({ type: 'connect', sliderId: 100 + n }));
    for (let i = 0; i < 50; i++) for (const [n, p] of phones.entries()) p.ws.send(update(100 + n, i));
    phones[0]!.ws.send('pong');
    phones[0]!.ws.send(JSON.stringify({ type: 'delete', sliderId: 100 }));
    // 3 connects + 150 updates + 1 delete reach the sink.
    await until(() => sink.texts.length >= 154, 'the sink to receive every frame');
    for (const p of phones) p.ws.close();
    sink.ws.close();
  });

  await record(hostileLog, async (relay) => {
    const sink = await Peer.open(relay.url);
    sink.ws.send(JSON.stringify({ type: 'hello', role: 'sink' }));
    await until(() => relay.metrics().connections.sink === 1, 'the sink to be admitted');
    const phone = await Peer.open(relay.url);
    phone.ws.send(JSON.stringify({ type: 'connect', sliderId: 7 }));
    phone.ws.send('{"x":1,');
    phone.ws.send(JSON.stringify({ x: 999, y: 0, speed: 0, angle: 0, sliderId: 7 }));
    phone.ws.send(JSON.stringify({ x: 0, y: 0, speed: 0, angle: 0, sliderId: 8 }));
    phone.ws.send(JSON.stringify({ type: 'batch', messages: [] }));
    phone.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    phone.ws.send(JSON.stringify({ x: 1, y: 1, speed: 1, angle: 1, sliderId: 7 }));
    await until(() => sink.texts.some((t) => t.includes('"x":1,"y":1')), 'the honest update after the junk');
    phone.ws.close();
    sink.ws.close();
  });

  floodLog = join(tmp.dir, 'flood.jsonl');
  await record(floodLog, async (relay) => {
    const phone = await Peer.open(relay.url);
    phone.ws.send(JSON.stringify({ type: 'connect', sliderId: 9 }));
    for (let i = 0; i < 1000; i++) phone.ws.send(update(9, i));
    await until(() => relay.metrics().messagesIn >= 1001, 'the relay to work through the flood');
    floodDropped = relay.metrics().dropped.rate_limited ?? 0;
    phone.ws.close();
  });
}, 60_000);
afterAll(() => tmp?.cleanup());

describe('a log written by the real relay', () => {
  it('honest traffic validates clean, even with --strict', async () => {
    const lines = readFileSync(honestLog, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(300); // in and out, for every frame
    const report = await validateFiles([honestLog], { strict: true });
    expect(report.violations).toEqual([]);
    expect(report.files[0]).toMatchObject({ lines: lines.length, envelopeLines: lines.length });
    expect(report.exitCode).toBe(0);
  });

  it('hostile frames are each reported, with the relay drop reason', async () => {
    const report: Report = await validateFiles([hostileLog]);
    const found = report.violations.map((v) => [v.rule, v.dropped]);
    expect(found).toEqual([
      ['not_json', 'not_json'],
      ['schema', 'schema'],
      ['id_mismatch', 'id_mismatch'],
      ['batch_from_controller', 'wrong_direction'],
      ['binary', 'binary'],
    ]);
    // Each finding points at the line holding that frame.
    const lines = readFileSync(hostileLog, 'utf8').split('\n');
    for (const v of report.violations) expect(JSON.parse(lines[v.line - 1]!)).toHaveProperty('drop', v.dropped);
    expect(report.exitCode).toBe(1);
  });

  it('a flood is one rate_limited finding whose frames the relay dropped too', async () => {
    expect(floodDropped).toBeGreaterThan(0);
    const report = await validateFiles([floodLog]);
    const errors = report.violations.filter((v) => v.severity === 'error');
    expect(errors.map((v) => v.rule)).toEqual(['rate_limited']);
    const over = Number(/: (\d+) frames? over the limit/.exec(errors[0]!.message)?.[1]);
    // The relay's bucket runs on a sub-millisecond clock, the log on whole milliseconds: the two counts agree
    // to within the refill of the flood's few milliseconds; each drop the validator did not count is a warning.
    const unexplained = report.violations.filter((v) => v.rule === 'relay_drop').length;
    expect(over + unexplained).toBeGreaterThanOrEqual(floodDropped);
    expect(Math.abs(over - floodDropped)).toBeLessThanOrEqual(Math.max(5, floodDropped * 0.05));
  });
});
