/**
 * Counters and the forwarding-latency histogram, plus their Prometheus text exposition.
 * Plain numbers and a fixed-bucket histogram: the hot path only increments. Process metrics (CPU, memory, heap,
 * event-loop lag, open descriptors, GC) come from prom-client's default collectors (process-metrics.ts) and are
 * appended to the same page; prom-client's own Histogram is not used on the hot path because its observe() is
 * several times dearer than this one (bench/RESULTS.md, section 6).
 */
import { ERROR_CODES } from '../protocol/index.js';
import { HELLO_REFUSALS, type HelloRefusal } from './sink-gate.js';

export interface RelayMetricsSnapshot {
  connections: { controller: number; sink: number; unknown: number };
  messagesIn: number;
  messagesOut: number;
  /** By reason (ERROR_CODES of src/protocol/constants.ts). */
  dropped: Record<string, number>;
  /** Live controller ids. */
  users: number;
}

/**
 * Upper bounds in seconds. A frame the relay forwards at once leaves within microseconds of arriving (a
 * 200-user loopback run: 97 % under 25 µs), so the low end is split finely, 5 µs to 0.5 ms; then 1-2.5-5 steps
 * past the 50 ms latency bar to 10 s. The common case still ends at the first comparison.
 */
export const LATENCY_BOUNDS_S = [
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
  2.5, 5, 10,
] as const;

export class LatencyHistogram {
  /** Non-cumulative counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sumS = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BOUNDS_S) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observeMs(ms: number): void {
    const s = ms > 0 ? ms / 1000 : 0;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && s > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sumS += s;
    this.count++;
  }
}

export class RelayMetrics {
  messagesIn = 0;
  messagesOut = 0;
  /** Updates a batch sink never saw because a newer one replaced them (by design, not a drop). */
  batchCoalesced = 0;
  /** Users an f32-columns sink could not be told of: all COLUMNS_MAX_INDEX of its indices were in use. */
  columnsIndexFull = 0;
  /** Connections closed for never saying hello or connect (route mode). */
  unidentifiedClosed = 0;
  readonly dropped: Record<string, number> = Object.fromEntries(ERROR_CODES.map((c) => [c, 0]));
  readonly latency = new LatencyHistogram();
  /** WebSocket connections accepted. */
  connectionsOpened = 0;
  /** OSC output (--osc): messages and datagrams sent to all targets, send errors, updates replaced before a tick. */
  oscMessages = 0;
  oscDatagrams = 0;
  oscErrors = 0;
  oscCoalesced = 0;
  /** Connections closed, by the role they had and the close code (`role code` → count). */
  readonly connectionsClosed = new Map<string, number>();
  /** Sink hellos refused, by why. */
  readonly hellosRefused: Record<HelloRefusal, number> = Object.fromEntries(HELLO_REFUSALS.map((w) => [w, 0])) as Record<HelloRefusal, number>;
  /** Upgrades refused because their address had too many connections that had not said who they are. */
  handshakesRefused = 0;

  drop(reason: string, n = 1): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
  }

  helloRefused(why: HelloRefusal): void {
    this.hellosRefused[why]++;
  }

  closed(role: string, code: number): void {
    const key = `${role} ${code}`;
    this.connectionsClosed.set(key, (this.connectionsClosed.get(key) ?? 0) + 1);
  }
}

export interface Gauges {
  connections: RelayMetricsSnapshot['connections'];
  users: number;
  uptimeS: number;
  /** Users with frames waiting in the fullest sink queue. */
  sinkQueueUsers: number;
}

function line(out: string[], name: string, help: string, type: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

/** Prometheus text format 0.0.4. */
export function renderPrometheus(m: RelayMetrics, g: Gauges): string {
  const out: string[] = [];
  line(out, 'tdcrowd_connections', 'Open WebSocket connections by role.', 'gauge');
  for (const role of ['controller', 'sink', 'unknown'] as const) out.push(`tdcrowd_connections{role="${role}"} ${g.connections[role]}`);
  line(out, 'tdcrowd_users', 'Live controller ids.', 'gauge');
  out.push(`tdcrowd_users ${g.users}`);
  line(out, 'tdcrowd_messages_in_total', 'Frames received from clients.', 'counter');
  out.push(`tdcrowd_messages_in_total ${m.messagesIn}`);
  line(out, 'tdcrowd_messages_out_total', 'Frames sent to clients.', 'counter');
  out.push(`tdcrowd_messages_out_total ${m.messagesOut}`);
  line(out, 'tdcrowd_dropped_total', 'Frames the relay did not forward, by reason.', 'counter');
  for (const [reason, n] of Object.entries(m.dropped)) out.push(`tdcrowd_dropped_total{reason="${reason}"} ${n}`);
  line(out, 'tdcrowd_batch_coalesced_total', 'Updates replaced by a newer one before a batch went out.', 'counter');
  out.push(`tdcrowd_batch_coalesced_total ${m.batchCoalesced}`);
  line(out, 'tdcrowd_columns_index_full_total', 'Users an f32-columns sink was not sent because all 65536 of its indices were in use.', 'counter');
  out.push(`tdcrowd_columns_index_full_total ${m.columnsIndexFull}`);
  line(out, 'tdcrowd_unidentified_closed_total', 'Connections closed for never sending hello or connect (route mode).', 'counter');
  out.push(`tdcrowd_unidentified_closed_total ${m.unidentifiedClosed}`);
  line(out, 'tdcrowd_connections_opened_total', 'WebSocket connections accepted.', 'counter');
  out.push(`tdcrowd_connections_opened_total ${m.connectionsOpened}`);
  line(out, 'tdcrowd_connections_closed_total', 'WebSocket connections closed, by role and close code: the relay\'s own when it closed (1001 shutting down, 1002/1007/1009 protocol error/bad UTF-8/frame too large, 1013 full, 4000 id taken over, 4001 unauthorized, 4002 silent; a heartbeat timeout cuts with no code, 1006), else the client\'s (1000 normal, 1005 none given, 1006 cut without a close frame).', 'counter');
  for (const [key, n] of [...m.connectionsClosed].sort(([a], [b]) => a.localeCompare(b))) {
    const [role, code] = key.split(' ');
    out.push(`tdcrowd_connections_closed_total{role="${role}",code="${code}"} ${n}`);
  }
  line(out, 'tdcrowd_sink_hellos_refused_total', 'Sink hellos refused, by why: address (not in --sink-from, by default not this machine), token (missing or wrong), backoff (after failed hellos from that address), rate (hellos or snapshots per address), full (--max-sinks).', 'counter');
  for (const [why, n] of Object.entries(m.hellosRefused)) out.push(`tdcrowd_sink_hellos_refused_total{why="${why}"} ${n}`);
  line(out, 'tdcrowd_handshakes_refused_total', 'WebSocket upgrades refused (HTTP 429): their address already had --max-per-address connections that had not said hello or connect.', 'counter');
  out.push(`tdcrowd_handshakes_refused_total ${m.handshakesRefused}`);
  const h = m.latency;
  line(out, 'tdcrowd_forward_latency_seconds', 'Time from a frame received to it being sent to a sink.', 'histogram');
  let cumulative = 0;
  h.bounds.forEach((le, i) => {
    cumulative += h.counts[i]!;
    out.push(`tdcrowd_forward_latency_seconds_bucket{le="${le}"} ${cumulative}`);
  });
  out.push(`tdcrowd_forward_latency_seconds_bucket{le="+Inf"} ${h.count}`);
  out.push(`tdcrowd_forward_latency_seconds_sum ${h.sumS}`);
  out.push(`tdcrowd_forward_latency_seconds_count ${h.count}`);
  line(out, 'tdcrowd_osc_messages_total', 'OSC messages sent to the --osc targets (all targets together).', 'counter');
  out.push(`tdcrowd_osc_messages_total ${m.oscMessages}`);
  line(out, 'tdcrowd_osc_datagrams_total', 'UDP datagrams sent to the --osc targets.', 'counter');
  out.push(`tdcrowd_osc_datagrams_total ${m.oscDatagrams}`);
  line(out, 'tdcrowd_osc_errors_total', 'UDP sends to the --osc targets that failed.', 'counter');
  out.push(`tdcrowd_osc_errors_total ${m.oscErrors}`);
  line(out, 'tdcrowd_osc_coalesced_total', 'OSC updates replaced by a newer one before a tick sent them.', 'counter');
  out.push(`tdcrowd_osc_coalesced_total ${m.oscCoalesced}`);
  line(out, 'tdcrowd_uptime_seconds', 'Seconds since the relay started.', 'gauge');
  out.push(`tdcrowd_uptime_seconds ${g.uptimeS}`);
  line(out, 'tdcrowd_sink_queue_users', 'Users with frames waiting in the fullest sink queue (bounded by users).', 'gauge');
  out.push(`tdcrowd_sink_queue_users ${g.sinkQueueUsers}`);
  return `${out.join('\n')}\n`;
}
