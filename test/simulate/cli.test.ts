/** `tdcrowd simulate` as users run it: the built CLI (npm run build first) against the real relay. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { CLI, ROOT } from '../helpers/paths.js';


interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'simulate', ...args], { cwd: ROOT, timeout: 45_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let relay: RelayHandle;
let dir: string;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/simulate/simulate.js'))) throw new Error('dist/ is missing the simulator: run `npm run build` first');
  relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'tdcrowd-sim-cli-'));
});
afterAll(async () => {
  await relay?.close();
  rmSync(dir, { recursive: true, force: true });
});

const load = (): string[] => ['--url', relay.url, '--users', '5', '--rate', '10', '--duration', '1', '--sink'];

describe('tdcrowd simulate (CLI)', () => {
  it('exits 0 when the SLO holds and writes a report with the documented field names', async () => {
    const report = join(dir, 'ok.json');
    const r = await cli([...load(), '--slo', 'p99<60000,delivery>=0.999,ghosts==0', '--report', report]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SLO met: p99<60000,delivery>=0.999,ghosts==0');
    const json = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
    for (const field of ['sent', 'delivered', 'deliveryRatio', 'duplicates', 'outOfOrder', 'latencyMs', 'ghostUsers', 'generatorBound', 'eventLoopLagMs', 'cpu', 'config', 'series']) {
      expect(json, field).toHaveProperty(field);
    }
    expect(Object.keys(json.latencyMs as object)).toEqual(expect.arrayContaining(['p50', 'p95', 'p99', 'max']));
    expect(json.deliveryRatio).toBe(1);
    expect(json.slo).toMatchObject({ passed: true });
    expect(typeof (json.cpu as { percentOfCore: unknown }).percentOfCore).toBe('number');
    expect((json.series as unknown[]).length).toBeGreaterThan(0);
  });

  it('exits 1 when the SLO is breached, naming the term', async () => {
    const r = await cli([...load(), '--slo', 'delivery>1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('SLO BREACHED: delivery>1');
    expect(r.stdout).toMatch(/slo delivery>1\s+│ BREACH \(actual 1\)/);
  });

  it.each([
    [['--slo', 'p99<<5', '--sink'], /--slo: cannot read "p99<<5"/],
    [['--slo', 'p99<50'], /measured by the sink: add --sink/],
    [['--users', '0'], /--users must be at least 1/],
    [['--pattern', 'zigzag'], /--pattern must be one of/],
    [['--replay', 'no-such-file.jsonl'], /--replay: cannot read no-such-file\.jsonl/],
    [['--bogus'], /unknown option/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const r = await cli(['--url', 'ws://127.0.0.1:9', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 1 with a clear message when the relay cannot be reached', async () => {
    const closed = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    const url = closed.url;
    await closed.close();
    const withSink = await cli(['--url', url, '--users', '2', '--duration', '0.5', '--sink']);
    expect(withSink.code).toBe(1);
    expect(withSink.stderr).toMatch(/sink could not connect to ws:\/\/127\.0\.0\.1:\d+/);
    const withoutSink = await cli(['--url', url, '--users', '2', '--duration', '0.5']);
    expect(withoutSink.code).toBe(1);
    expect(withoutSink.stdout).toMatch(/no virtual user could connect/);
  });

  it('--threads 2: the crowd generated on worker threads is measured like a single-thread one', async () => {
    const report = join(dir, 'threads.json');
    const r = await cli(['--url', relay.url, '--users', '8', '--rate', '10', '--duration', '1.5', '--sink', '--threads', '2', '--report', report]);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8')) as Record<string, any>;
    expect(json.config.threads).toBe(2);
    expect(json.sent).toBeGreaterThan(0);
    expect(json.deliveryRatio).toBe(1);
    expect(json.duplicates).toBe(0);
    expect(json.outOfOrder).toBe(0);
    expect(json.ghostUsers).toBe(0);
    expect(json.finalState).toEqual({ users: 8, matched: 8, ratio: 1 });
    expect(typeof json.generatorThreadLagP99Ms).toBe('number');
  });

  it('prints plain text (no terminal control codes) when not on a terminal', async () => {
    const r = await cli([...load()]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/\u001b\[/);
    expect(r.stdout).toMatch(/generator-bound\s+│ (no|YES)/);
  });
});
