/**
 * `simulate --url A --url B` (or `--url A,B`): phones spread round robin over relay instances, the sink on any
 * one of them (`--sink-url`), delivery accounted per instance. Real relays on loopback: one relay reached
 * through two URLs (every instance reaches the sink), and two relays that share nothing (only the sink's own
 * instance does, which the per-instance rows must show).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { crowdInstanceResolver, instanceOf, mergeSourcePlans, usersPerInstance } from '../../src/simulate/instances.js';
import { OptionsError, renderReportHtml, resolveOptions, type ReplayPlan, type SimulationReport } from '../../src/simulate/index.js';
import { replayInstanceResolver } from '../../src/simulate/replay.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { sink as admittedSink } from '../helpers/peers.js';
import type { Peer } from '../helpers/peers.js';
import { simulate } from './helpers/run.js';

const LOOPBACK = { port: 0, host: '127.0.0.1', quiet: true, maxPerAddress: 10_000 } as const;
const ID_BASE = 100_000;

let relays: RelayHandle[] = [];
let peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const r of relays.splice(0)) await r.close();
});

async function relay(): Promise<RelayHandle> {
  const r = await startRelay({ ...LOOPBACK });
  relays.push(r);
  return r;
}

describe('instances: the assignment rule', () => {
  it('phone n goes to instance n mod K; the split is even, the sink can tell the instance from the id', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => instanceOf(n, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(instanceOf(41, 1)).toBe(0);
    expect(usersPerInstance(7, 3)).toEqual([3, 2, 2]);
    expect(usersPerInstance(2, 3)).toEqual([1, 1, 0]);
    expect(usersPerInstance(10, 1)).toEqual([10]);
    const of = crowdInstanceResolver(ID_BASE, 2);
    expect([of(String(ID_BASE)), of(String(ID_BASE + 1)), of(String(ID_BASE + 4))]).toEqual([0, 1, 0]);
    expect(of('somebody-else')).toBe(-1);
    expect(of(String(ID_BASE - 1))).toBe(-1);
  });

  it('a replay: each recorded connection takes the next instance; an id belongs to the first connection claiming it', () => {
    const conn = (n: number, id: number | string | undefined) => ({ conn: n, id, frames: [] });
    const plan: ReplayPlan = {
      connections: [conn(1, 7), conn(2, 'x'), conn(3, undefined), conn(4, 9), conn(5, '7')],
      frames: 0,
      durationMs: 0,
      skipped: { outbound: 0, notController: 0, keepAlive: 0, plainLines: 0 },
    };
    const of = replayInstanceResolver(plan, 2);
    // Connections 0..4 go to instances 0,1,0,1,0; "7" is 7's key, first claimed on connection 0.
    expect([of('7'), of('x'), of('9'), of('nobody')]).toEqual([0, 1, 1, -1]);
  });

  it('source plans: spread only when every instance spreads; the reason names the instance', () => {
    const spread = { spread: true as const, range: '127.0.0.2-127.0.0.254' };
    const remote = { spread: false as const, reason: 'the relay is not on loopback', loopback: false };
    expect(mergeSourcePlans([{ url: 'ws://127.0.0.1:1', sources: spread }, { url: 'ws://127.0.0.1:2', sources: spread }])).toEqual(spread);
    expect(mergeSourcePlans([{ url: 'ws://127.0.0.1:1', sources: spread }, { url: 'ws://10.0.0.9:2', sources: remote }])).toEqual({
      ...remote,
      reason: 'ws://10.0.0.9:2: the relay is not on loopback',
    });
    expect(mergeSourcePlans([{ url: 'ws://10.0.0.9:2', sources: remote }])).toEqual(remote);
  });
});

describe('simulate options: several --url', () => {
  it('repeatable, comma-separated, or both; the sink defaults to the first', () => {
    expect(resolveOptions({}).urls).toEqual(['ws://127.0.0.1:8080']);
    const o = resolveOptions({ url: ['ws://a:1', 'ws://b:2, wss://c/ws'] });
    expect(o.urls).toEqual(['ws://a:1', 'ws://b:2', 'wss://c/ws']);
    expect(o.url).toBe('ws://a:1');
    expect(o.sinkUrl).toBe('ws://a:1');
    expect(resolveOptions({ url: 'ws://a:1,ws://b:2', sink: true, sinkUrl: 'ws://b:2' }).sinkUrl).toBe('ws://b:2');
    // The sink may sit on an instance no phone uses (TouchDesigner's own).
    expect(resolveOptions({ url: 'ws://a:1,ws://b:2', sink: true, sinkUrl: 'ws://c:3' }).sinkUrl).toBe('ws://c:3');
  });

  it.each([
    [{ url: 'ws://a:1,http://b:2' }, /--url must be a ws:\/\/ or wss:\/\/ URL, got "http:\/\/b:2"/],
    [{ url: ['ws://a:1', 'b:2'] }, /--url must be a ws:\/\/ or wss:\/\/ URL, got "b:2"/],
    [{ url: 'ws://a:1,,ws://b:2' }, /--url has an empty entry/],
    [{ url: 'ws://a:1,' }, /--url has an empty entry/],
    [{ url: ['ws://a:1', 'ws://a:1'] }, /--url lists ws:\/\/a:1 twice/],
    [{ url: 'ws://' }, /--url must be a ws/],
    [{ url: Array.from({ length: 65 }, (_, i) => `ws://h${i}:1`) }, /at most 64/],
    [{ sinkUrl: 'ws://a:1' }, /--sink-url needs --sink/],
    [{ sink: true, sinkUrl: 'tcp://a:1' }, /--sink-url must be a ws:\/\/ or wss:\/\/ URL/],
    [{ users: ['1', '2'] }, /--users must be an integer/],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveOptions(raw)).toThrow(OptionsError);
    expect(() => resolveOptions(raw)).toThrow(message);
  });

  it('the CLI: a bad URL among several is one line on stderr, exit 2', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'simulate', '--url', 'ws://127.0.0.1:9', '--url', 'ws://127.0.0.1:8,wss//x', '--sink'], { cwd: ROOT, timeout: 20_000 }, (err, _out, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tdcrowd: --url must be a ws:// or wss:// URL, got "wss//x"\n');
  });
});

describe('simulate over several instances (real relays on loopback)', () => {
  it('one relay behind two URLs: phones split in half, every instance delivers all it was sent', async () => {
    const r = await relay();
    const port = new URL(r.url).port;
    const urls = [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`];
    const { report, summary } = await simulate({ url: urls.join(','), users: '20', rate: '10', duration: '2', sink: true });
    expect(report.deliveryRatio).toBe(1);
    expect(report.instances.map((i) => [i.url, i.sink, i.users])).toEqual([
      [urls[0], true, 10],
      [urls[1], false, 10],
    ]);
    for (const inst of report.instances) {
      expect(inst.sent).toBeGreaterThan(10 * 10);
      expect(inst.delivered).toBe(inst.sent);
      expect(inst.deliveryRatio).toBe(1);
      expect(inst.latencyMs.count).toBe(inst.delivered);
      expect(inst.latencyMs.p99).toBeGreaterThan(0);
      expect(inst.unreached).toBe(false);
    }
    expect(report.instances[0]!.sent + report.instances[1]!.sent).toBe(report.sent);
    expect(report.config.urls).toEqual(urls);
    expect(summary).toMatch(/instance 1 \(sink\)\s+│ ws:\/\/127\.0\.0\.1:\d+: 10 users, sent \d+,/);
    expect(summary).toMatch(/instance 2\s+│ ws:\/\/localhost:\d+: 10 users, sent \d+,/);
    const html = renderReportHtml(report);
    expect(html).toContain('<table id="instances">');
    expect(html.match(/<tr class="">/g)).toHaveLength(2);
  });

  it('with --threads 2 (the built CLI: worker threads load dist/) the per-instance counts still add up', async () => {
    const r = await relay();
    const port = new URL(r.url).port;
    const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-instances-'));
    try {
      const file = join(dir, 'r.json');
      const args = ['simulate', '--url', `ws://127.0.0.1:${port}`, '--url', `ws://localhost:${port}`, '--users', '9', '--rate', '10', '--duration', '1.5', '--sink', '--threads', '2', '--report', file, '--no-progress'];
      const code = await new Promise<number>((resolve) => execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 30_000 }, (err) => resolve(err ? 1 : 0)));
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(file, 'utf8')) as SimulationReport;
      expect(report.instances.map((i) => i.users)).toEqual([5, 4]);
      expect(report.instances.reduce((a, i) => a + i.sent, 0)).toBe(report.sent);
      for (const inst of report.instances) {
        expect(inst.sent).toBeGreaterThan(0);
        expect(inst.delivered).toBe(inst.sent);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two relays sharing nothing, sink on the second: its phones all arrive, the first instance is shown not reaching it', async () => {
    const a = await relay();
    const b = await relay();
    // A sink of the test's own on relay A, so A forwards (no no_sink drops) and shows which phones it carried.
    const sinkA = await admittedSink(a);
    peers.push(sinkA);
    const { report, summary } = await simulate({ url: [a.url, b.url], users: '10', rate: '10', duration: '1.5', sink: true, sinkUrl: b.url });
    const [ia, ib] = report.instances;
    expect(ia).toMatchObject({ url: a.url, sink: false, users: 5, delivered: 0, deliveryRatio: 0, unreached: true });
    expect(ib).toMatchObject({ url: b.url, sink: true, users: 5, unreached: false, deliveryRatio: 1 });
    expect(ia!.sent).toBeGreaterThan(0);
    expect(ib!.delivered).toBe(ib!.sent);
    expect(report.delivered).toBe(ib!.sent);
    expect(report.deliveryRatio).toBeLessThan(0.6);
    expect(report.warnings.some((w) => w.startsWith(`${a.url}: a probe sent through this instance never reached the sink on ${b.url}`))).toBe(true);
    expect(summary.replace(/[│\s]+/g, ' ')).toContain('NOT REACHING THE SINK');
    // Relay A carried exactly the even-numbered phones (instance 1 of 2): ids idBase + 0, 2, 4, 6, 8.
    const idsAtA = new Set(sinkA.messages.filter((m) => (m.type ?? 'update') === 'update' && typeof m.sliderId === 'number').map((m) => m.sliderId));
    expect([...idsAtA].sort()).toEqual([0, 2, 4, 6, 8].map((n) => ID_BASE + n));
    const html = renderReportHtml(report);
    expect(html).toContain('<tr class="bad">');
  });

  it('a single URL keeps one instance row equal to the totals', async () => {
    const r = await relay();
    const { report, summary } = await simulate({ url: r.url, users: '4', rate: '10', duration: '1', sink: true });
    expect(report.instances).toHaveLength(1);
    expect(report.instances[0]).toMatchObject({ url: r.url, sink: true, users: 4, sent: report.sent, delivered: report.delivered });
    expect(report.instances[0]!.latencyMs).toEqual(report.latencyMs);
    expect(summary).not.toContain('instance 1');
    expect(renderReportHtml(report)).not.toContain('id="instances"');
  });
});
