/** The measuring sink over f32-columns (`simulate --sink-encoding f32-columns`) against the real relay, in process. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { OptionsError, resolveOptions } from '../../src/simulate/index.js';
import { simulate } from './helpers/run.js';

const LOOPBACK = { port: 0, host: '127.0.0.1', quiet: true, maxPerAddress: 10_000 } as const;

let relay: RelayHandle | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('simulate --sink-encoding f32-columns', () => {
  it('measures delivery and latency from the binary rows, as the JSON batches do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-sim-columns-'));
    const log = join(dir, 'relay.jsonl');
    relay = await startRelay({ ...LOOPBACK, log });
    const { report } = await simulate({ url: relay.url, users: '20', rate: '30', duration: '2', sink: true, batchHz: '10', sinkEncoding: 'f32-columns', churn: '60' });
    await relay.close();
    const out = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"dir":"out"') && l.includes('"role":"sink"'));
    rmSync(dir, { recursive: true, force: true });
    // The sink was served column batches, never a JSON batch or a text update.
    expect(out.filter((l) => l.includes('"bin":"')).length).toBeGreaterThan(10);
    expect(out.some((l) => l.includes('"type":"batch"') || l.includes('"x":'))).toBe(false);
    expect(report.config.sinkEncoding).toBe('f32-columns');
    expect(report.deliverySemantics).toBe('final-state-per-user');
    expect(report.deliveryRatio).toBe(1);
    expect(report.finalState.ratio).toBe(1);
    expect(report.ghostUsers).toBe(0);
    expect(report.missingUsers).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.outOfOrder).toBe(0);
    // Every delivered update came from a binary row with seq and t: latency measured for each.
    expect(report.delivered).toBeGreaterThan(20);
    expect(report.latencyMs.count).toBe(report.delivered);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    // Churn: the leaves arrive as index frames.
    expect(report.sink?.deletes.closed).toBe(report.generator.leaves);
    expect(report.sink?.invalidFrames).toEqual({});
    expect(report.generator.relayErrors).toEqual({});
    // One frame per tick carries everyone: far fewer frames than updates.
    expect(report.framesReceived).toBeLessThan(report.delivered);
  });

  it('refuses combinations it cannot measure, naming the flag', () => {
    const bad = (raw: Record<string, string | boolean>, message: RegExp): void => {
      expect(() => resolveOptions(raw)).toThrow(OptionsError);
      expect(() => resolveOptions(raw)).toThrow(message);
    };
    bad({ sink: true, sinkEncoding: 'f32-columns' }, /--sink-encoding f32-columns needs --batch-hz/);
    bad({ sinkEncoding: 'f32-columns', batchHz: '10' }, /--batch-hz needs --sink|--sink-encoding needs --sink/);
    bad({ sink: true, batchHz: '10', sinkEncoding: 'f16' }, /--sink-encoding must be one of json, f32-columns, got "f16"/);
    bad({ sink: true, batchHz: '10', sinkEncoding: 'f32-columns', replay: 'x.jsonl' }, /not with --legacy or --replay/);
    expect(resolveOptions({ sink: true }).sinkEncoding).toBe('json');
  });
});
