/**
 * /metrics scraped from a real relay on loopback: connection counters by role and close code, the finer
 * forwarding-latency buckets, and the process metrics (prom-client's default collectors).
 */
import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_S } from '../../src/relay/metrics.js';
import { fetchText } from '../helpers/http.js';
import { update } from '../helpers/messages.js';
import { metric } from '../helpers/metrics.js';
import { claim, Peer, sink } from '../helpers/peers.js';
import { useRelays } from '../helpers/relay.js';
import { until } from '../helpers/wait.js';

const { start, keep } = useRelays();

/**
 * Prometheus text format 0.0.4: `name{label="value",...} number`. prom-client writes NaN as `Nan` (an event-loop
 * lag with no sample yet); Prometheus reads floats case-insensitively, so both spellings pass.
 */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|Nan|[+-]Inf)$/;

describe('/metrics', () => {
  it('counts connections opened and closed, by role and close code', async () => {
    const relay = await start({ maxPayload: 256 });
    const s = keep(await sink(relay));
    const c = await claim(relay, 1);
    const idle = await Peer.open(relay.url);
    const big = await claim(relay, 2);
    c.ws.close(1000, 'bye');
    idle.ws.terminate();
    big.send('x'.repeat(300)); // over --max-payload: the relay closes it with 1009
    await big.waitClosed();
    await c.waitClosed();
    await until(() => relay.metrics().connections.unknown === 0 && relay.metrics().connections.controller === 0, 'the closes');
    const text = (await fetchText(`${relay.httpUrl}/metrics`)).body;
    const m = (series: string): number | undefined => metric(text, series);
    expect(m('tdcrowd_connections_opened_total')).toBe(4);
    expect(m('tdcrowd_connections_closed_total{role="controller",code="1000"}')).toBe(1);
    expect(m('tdcrowd_connections_closed_total{role="unknown",code="1006"}')).toBe(1);
    expect(m('tdcrowd_connections_closed_total{role="controller",code="1009"}')).toBe(1);
    expect(text).toContain('# TYPE tdcrowd_connections_closed_total counter');
    // The sink is still open: not counted as closed.
    expect(text).not.toMatch(/closed_total\{role="sink"/);
    s.close();
    await until(() => relay.metrics().connections.sink === 0, 'the sink to go');
    expect(metric((await fetchText(`${relay.httpUrl}/metrics`)).body, 'tdcrowd_connections_closed_total{role="sink",code="1005"}')).toBe(1);
  });

  it('has latency buckets from 5 µs up, cumulative, holding every loopback forward', async () => {
    const relay = await start();
    const s = keep(await sink(relay));
    const c = keep(await claim(relay, 7));
    for (let i = 0; i < 50; i++) c.send(update(7, i));
    await until(() => s.ofType('update').length === 50, 'the updates');
    const text = (await fetchText(`${relay.httpUrl}/metrics`)).body;
    const buckets = [...text.matchAll(/^tdcrowd_forward_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((b) => [b[1]!, Number(b[2])] as const);
    expect(buckets.map(([le]) => le)).toEqual([...LATENCY_BOUNDS_S.map(String), '+Inf']);
    expect(buckets.slice(0, 7).map(([le]) => le)).toEqual(['0.000005', '0.00001', '0.000025', '0.00005', '0.0001', '0.00025', '0.0005']);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]);
    // connect + 50 updates forwarded to the sink.
    expect(metric(text, 'tdcrowd_forward_latency_seconds_count')).toBe(51);
    expect(metric(text, 'tdcrowd_forward_latency_seconds_bucket{le="+Inf"}')).toBe(51);
    expect(metric(text, 'tdcrowd_forward_latency_seconds_bucket{le="10"}')).toBe(51);
  });

  it('carries the process metrics: CPU, memory, heap, event-loop lag, open descriptors', async () => {
    const relay = await start();
    const r = await fetchText(`${relay.httpUrl}/metrics`);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = (series: string): number | undefined => metric(r.body, series);
    expect(m('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(m('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(m('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(m('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(m('process_open_fds')).toBeGreaterThan(2);
    expect(m('tdcrowd_users')).toBe(0);
    // Each metric is described once even with several relays in one process, and every sample line is valid.
    const second = await start();
    const text = (await fetchText(`${second.httpUrl}/metrics`)).body;
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    // (Blank lines are allowed between metric families.)
    for (const line of text.trim().split('\n')) if (line !== '' && !line.startsWith('#')) expect(line).toMatch(SAMPLE);
    // HEAD: headers only.
    const head = await fetch(`${second.httpUrl}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
