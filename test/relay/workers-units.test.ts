/**
 * `relay --workers N`, the parts that need no process: the worker count and log names, the primary's
 * machine-wide per-address count, a worker's leases (and what it does when the primary is slow), and the
 * merge of every worker's /healthz and /metrics.
 */
import { describe, expect, it } from 'vitest';
import { RelayOptionsError, resolveOptions } from '../../src/relay/index.js';
import type { Connection } from '../../src/relay/connection.js';
import { MachineAddressLedger } from '../../src/relay/workers/address-ledger.js';
import { WorkerAddressLeases } from '../../src/relay/workers/address-leases.js';
import { mergeHealthz, mergeMetrics, withLabel } from '../../src/relay/workers/merge.js';
import type { ToPrimary } from '../../src/relay/workers/messages.js';
import { workerCount, workerLogPath, workerOptions } from '../../src/relay/workers/plan.js';
import { parseMetrics } from '../helpers/metrics.js';

describe('--workers and the workers\' logs', () => {
  it('defaults to one; more than one needs --redis; only integers 1 to 64', () => {
    expect(workerCount(undefined, undefined)).toBe(1);
    expect(workerCount('1', undefined)).toBe(1);
    expect(workerCount('4', 'redis://127.0.0.1:6379')).toBe(4);
    expect(() => workerCount('2', undefined)).toThrow(/--workers 2 needs --redis/);
    for (const bad of ['0', '65', '1.5', 'two', '']) expect(() => workerCount(bad, 'redis://x')).toThrow(RelayOptionsError);
  });

  it('each worker logs to its own file, the suffix before the extension', () => {
    expect(workerLogPath('relay.jsonl', 1)).toBe('relay-w1.jsonl');
    expect(workerLogPath('/var/log/show/relay.log', 12)).toBe('/var/log/show/relay-w12.log');
    expect(workerLogPath('logs/relay', 2)).toBe('logs/relay-w2');
    const o = resolveOptions({ log: 'a/b.jsonl', sinkToken: 'auto' });
    expect(workerOptions(o, 2).log).toBe('a/b-w2.jsonl');
    // One generated token for every worker: the primary resolved it once.
    expect(workerOptions(o, 2).sinkToken).toBe(o.sinkToken);
    expect(workerOptions(resolveOptions({}), 1).log).toBeUndefined();
  });
});

describe('the primary\'s per-address count', () => {
  it('at most the cap unidentified, and a controller place reserved while one is free', () => {
    const l = new MachineAddressLedger(2);
    expect(l.acquire(1, 'a')).toEqual({ unidentified: true, controller: true });
    expect(l.acquire(2, 'a')).toEqual({ unidentified: true, controller: true });
    // Two connections not identified yet from 'a' (on two workers): a third is refused whichever worker asks.
    expect(l.acquire(1, 'a')).toEqual({ unidentified: false, controller: false });
    expect(l.acquire(2, 'b')).toEqual({ unidentified: true, controller: true });
    // Both of 'a' become phones: room for one more unidentified connection, but no controller place for it.
    l.release(1, 'a', 1, 0);
    l.release(2, 'a', 1, 0);
    expect(l.held('a')).toEqual({ unidentified: 0, controller: 2 });
    expect(l.acquire(1, 'a')).toEqual({ unidentified: true, controller: false });
  });

  it('a worker gives back only what it holds, and everything when it dies; empty addresses are forgotten', () => {
    const l = new MachineAddressLedger(3);
    l.acquire(1, 'a');
    l.acquire(2, 'a');
    l.release(1, 'a', 5, 5);
    expect(l.held('a')).toEqual({ unidentified: 1, controller: 1 });
    l.release(3, 'a', 1, 1);
    expect(l.held('a')).toEqual({ unidentified: 1, controller: 1 });
    l.acquire(2, 'c');
    l.workerGone(2);
    expect(l.held('a')).toEqual({ unidentified: 0, controller: 0 });
    expect(l.size).toBe(0);
  });
});

describe('a worker\'s leases', () => {
  const conn = (): Connection => ({}) as Connection;

  function leases(timeoutMs = 1000, maxPending = 100): { l: WorkerAddressLeases; sent: ToPrimary[]; warnings: string[] } {
    const sent: ToPrimary[] = [];
    const warnings: string[] = [];
    return { l: new WorkerAddressLeases((m) => sent.push(m), timeoutMs, maxPending, (w) => warnings.push(w)), sent, warnings };
  }

  it('follows a connection: unidentified given back when it speaks, its controller place when a sink or gone', async () => {
    const { l, sent } = leases();
    const p = l.acquire('k');
    expect(sent).toEqual([{ tdcrowd: 1, t: 'acquire', req: 1, key: 'k' }]);
    l.answer({ req: 1, key: 'k', unidentified: true, controller: true });
    const lease = (await p)!;
    const phone = conn();
    l.bind(phone, lease);
    expect(l.mayControl(phone)).toBe(true);
    l.identified(phone, 'controller');
    expect(sent.at(-1)).toEqual({ tdcrowd: 1, t: 'release', key: 'k', unidentified: 1, controller: 0 });
    l.removed(phone);
    expect(sent.at(-1)).toEqual({ tdcrowd: 1, t: 'release', key: 'k', unidentified: 0, controller: 1 });
    expect(l.size).toBe(0);

    const q = l.acquire('k');
    l.answer({ req: 2, key: 'k', unidentified: true, controller: true });
    const sink = conn();
    l.bind(sink, (await q)!);
    l.identified(sink, 'sink');
    expect(sent.at(-1)).toEqual({ tdcrowd: 1, t: 'release', key: 'k', unidentified: 1, controller: 1 });
    const before = sent.length;
    l.removed(sink);
    expect(sent.length).toBe(before);
  });

  it('refused when the primary says the address is full; no controller place means address_full', async () => {
    const { l } = leases();
    const p = l.acquire('k');
    l.answer({ req: 1, key: 'k', unidentified: false, controller: false });
    expect(await p).toBeUndefined();
    const q = l.acquire('k');
    l.answer({ req: 2, key: 'k', unidentified: true, controller: false });
    const c = conn();
    l.bind(c, (await q)!);
    expect(l.mayControl(c)).toBe(false);
  });

  it('a slow primary: the upgrade goes ahead under the worker\'s own caps, said once, and a late grant is given back', async () => {
    const { l, sent, warnings } = leases(30);
    const lease = await l.acquire('k');
    expect(lease).toMatchObject({ counted: false });
    const c = conn();
    l.bind(c, lease!);
    expect(l.mayControl(c)).toBe(true);
    await l.acquire('k');
    expect(l.timeouts).toBe(2);
    expect(warnings).toHaveLength(1);
    l.answer({ req: 1, key: 'k', unidentified: true, controller: true });
    expect(sent.at(-1)).toEqual({ tdcrowd: 1, t: 'release', key: 'k', unidentified: 1, controller: 1 });
    expect(parseMetrics(l.metricsText()).get('tdcrowd_worker_lease_timeouts_total')).toBe(2);
  });

  it('waiting answers are bounded: past the bound an upgrade is refused, not queued', async () => {
    const { l } = leases(10_000, 2);
    void l.acquire('a');
    void l.acquire('b');
    expect(await l.acquire('c')).toBeUndefined();
    expect(l.overflows).toBe(1);
  });
});

describe('one machine\'s answers', () => {
  const health = (over: Record<string, unknown>): Record<string, unknown> => ({
    ok: true,
    status: 'degraded',
    why: 'no sink connected',
    version: '0.1.0',
    mode: 'route',
    uptimeS: 10,
    connections: { controller: 0, sink: 0, unknown: 0 },
    users: 0,
    sinks: { websocket: 0, osc: 1 },
    ...over,
  });

  it('/healthz sums the workers, is ok when a sink is on any worker, and lists each worker', () => {
    const w1 = health({ connections: { controller: 3, sink: 0, unknown: 1 }, users: 3, uptimeS: 12 });
    const w2 = health({ status: 'ok', why: undefined, connections: { controller: 2, sink: 1, unknown: 0 }, users: 2, sinks: { websocket: 1, osc: 1 } });
    const h = mergeHealthz(
      [
        { worker: 1, pid: 11, body: w1 },
        { worker: 2, pid: 22, body: w2 },
        { worker: 3, pid: 33, body: undefined },
      ],
      { worker: 2, pid: 22 },
      w2,
    );
    expect(h).toMatchObject({
      ok: true,
      status: 'ok',
      uptimeS: 12,
      connections: { controller: 5, sink: 1, unknown: 1 },
      users: 5,
      sinks: { websocket: 1, osc: 1 },
      worker: { worker: 2, pid: 22 },
    });
    expect(h.why).toBeUndefined();
    expect(h.workers).toEqual([
      { worker: 1, pid: 11, answered: true, status: 'degraded', connections: w1.connections, users: 3, sinks: 0 },
      { worker: 2, pid: 22, answered: true, status: 'ok', connections: w2.connections, users: 2, sinks: 1 },
      { worker: 3, pid: 33, answered: false },
    ]);
    const none = mergeHealthz([{ worker: 1, pid: 11, body: w1 }], { worker: 1, pid: 11 }, w1);
    expect(none).toMatchObject({ status: 'degraded', why: 'no sink connected' });
  });

  it('/metrics sums the relay\'s series (the max for uptime and queue gauges) and labels process metrics by worker', () => {
    const text = (n: number, up: number): string =>
      [
        '# HELP tdcrowd_messages_in_total Frames received.',
        '# TYPE tdcrowd_messages_in_total counter',
        `tdcrowd_messages_in_total ${n}`,
        '# HELP tdcrowd_dropped_total Dropped.',
        '# TYPE tdcrowd_dropped_total counter',
        `tdcrowd_dropped_total{reason="binary"} ${n * 2}`,
        '# TYPE tdcrowd_forward_latency_seconds histogram',
        `tdcrowd_forward_latency_seconds_bucket{le="0.001"} ${n}`,
        `tdcrowd_forward_latency_seconds_bucket{le="+Inf"} ${n}`,
        '# TYPE tdcrowd_uptime_seconds gauge',
        `tdcrowd_uptime_seconds ${up}`,
        '# HELP process_resident_memory_bytes Resident memory size in bytes.',
        '# TYPE process_resident_memory_bytes gauge',
        `process_resident_memory_bytes ${n * 1000}`,
        '# TYPE nodejs_version_info gauge',
        'nodejs_version_info{version="v20.1.0",major="20"} 1',
        '',
      ].join('\n');
    const merged = mergeMetrics([
      { worker: 1, pid: 11, body: text(3, 50) },
      { worker: 2, pid: 22, body: text(4, 40) },
      { worker: 3, pid: 33, body: undefined },
    ]);
    const m = parseMetrics(merged);
    expect(m.messagesIn).toBe(7);
    expect(m.dropped.binary).toBe(14);
    expect(m.get('tdcrowd_forward_latency_seconds_bucket{le="+Inf"}')).toBe(7);
    expect(m.get('tdcrowd_uptime_seconds')).toBe(50);
    expect(m.get('process_resident_memory_bytes{worker="1"}')).toBe(3000);
    expect(m.get('process_resident_memory_bytes{worker="2"}')).toBe(4000);
    expect(m.get('nodejs_version_info{worker="2",version="v20.1.0",major="20"}')).toBe(1);
    expect(m.get('tdcrowd_workers')).toBe(2);
    expect(m.get('tdcrowd_worker_up{worker="3",pid="33"}')).toBe(0);
    // One HELP and one TYPE per family, as Prometheus requires.
    expect(merged.match(/^# TYPE tdcrowd_messages_in_total /gm)).toHaveLength(1);
    expect(merged.match(/^# HELP process_resident_memory_bytes /gm)).toHaveLength(1);
  });

  it('adds a label to a sample with or without labels', () => {
    expect(withLabel('x_total 3', 'worker', '1')).toBe('x_total{worker="1"} 3');
    expect(withLabel('x{a="b"} 3', 'worker', '2')).toBe('x{worker="2",a="b"} 3');
    expect(withLabel('x{} 3', 'worker', '2')).toBe('x{worker="2"} 3');
  });
});
