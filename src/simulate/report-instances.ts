/**
 * The report's `instances`: one row per relay instance the phones were spread over (--url, in order), with
 * what was sent to it and what of that reached the sink. With one instance the row is the run's totals; with
 * several, the sink's per-instance tally (instances.ts). Delivery here is always per update (in batch mode the
 * share that survived coalescing, like updateDeliveryRatio).
 */
import { usersPerInstance } from './instances.js';
import type { ReportInput } from './report-input.js';
import { round } from './report-numbers.js';
import type { LatencySummary } from './stats.js';

export interface InstanceReport {
  url: string;
  /** The measuring sink connected to this instance. */
  sink: boolean;
  /** Virtual phones assigned to it (replay: recorded connections). */
  users: number;
  sent: number;
  delivered: number;
  deliveryRatio: number | null;
  latencyMs: LatencySummary;
  /** Its admission probe never reached the sink (only checked with several instances). */
  unreached: boolean;
}

const NO_LATENCY: LatencySummary = { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };

export function instanceRows(input: ReportInput): InstanceReport[] {
  const { options: o, sink, counters: c } = input;
  const urls = o.urls;
  const users = usersPerInstance(input.replay ? input.replay.connections : o.users, urls.length);
  const unreached = new Set(input.unreachedInstances ?? []);
  return urls.map((url, i) => {
    const single = urls.length === 1;
    const sent = single ? input.sent : (c.updatesByInstance[i] ?? 0);
    const measured = single ? (sink ? { delivered: sink.delivered, latency: sink.latency } : undefined) : sink?.perInstance?.[i];
    const delivered = measured?.delivered ?? 0;
    return {
      url,
      sink: o.sink && url === o.sinkUrl,
      users: users[i]!,
      sent,
      delivered,
      deliveryRatio: sink && sent > 0 ? round(delivered / sent, 6) : null,
      latencyMs: measured?.latency ?? NO_LATENCY,
      unreached: unreached.has(url),
    };
  });
}

/** Notes for the report: instances whose phones' updates did not reach the sink. */
export function instanceWarnings(rows: readonly InstanceReport[], sinkUrl: string): string[] {
  if (rows.length < 2) return [];
  const out: string[] = [];
  for (const r of rows) {
    if (r.unreached) {
      out.push(`${r.url}: a probe sent through this instance never reached the sink on ${sinkUrl}; its phones' updates count as lost (do the instances share a Redis, relay --redis?)`);
    } else if (r.deliveryRatio !== null && r.deliveryRatio < 1 && r.sent > 0) {
      out.push(`${r.url}: ${r.sent - r.delivered} of its ${r.sent} updates did not reach the sink`);
    }
  }
  return out;
}
