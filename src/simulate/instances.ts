/**
 * Several relay instances (`--url A --url B`, or `--url A,B`): which instance each virtual phone connects to,
 * and the per-instance tally the report shows. The rule is round robin on the phone's number: phone n (id
 * idBase + n) goes to instance n mod K, so the split is even, stable across --threads (every thread numbers its
 * phones in one sequence) and recoverable at the sink from the id alone. A replay assigns its recorded
 * connections the same way, by connection order.
 *
 * The measuring sink connects to one instance (`--sink-url`, default the first): with instances sharing a Redis
 * it sees every phone; without, only its own instance's, and the per-instance rows show exactly that.
 */
import { planSources, type SourcePlan } from './source-addresses.js';
import { LatencyStats, type LatencySummary } from './stats.js';

/** One instance the phones connect to (plain data: it crosses to generator threads). */
export interface Target {
  url: string;
  /** Source addresses for phones on this instance (default: the kernel picks). */
  sources?: SourcePlan;
}

/** The instance phone n connects to. */
export function instanceOf(n: number, count: number): number {
  return count <= 1 ? 0 : n % count;
}

/** Phones of a crowd of `users` on each of `count` instances (round robin). */
export function usersPerInstance(users: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (users > i ? Math.floor((users - 1 - i) / count) + 1 : 0));
}

/** Source plan per URL (each decided once: a loopback instance spreads, a remote one cannot). */
export async function planTargets(urls: readonly string[], plan: (url: string) => Promise<SourcePlan> = planSources): Promise<Target[]> {
  return Promise.all(urls.map(async (url) => ({ url, sources: await plan(url) })));
}

/**
 * One plan for the report's `sourceAddresses`: spread only when every instance's phones were; otherwise the
 * first reason, naming its instance when there are several.
 */
export function mergeSourcePlans(targets: readonly Target[]): SourcePlan {
  const plans = targets.map((t) => t.sources ?? { spread: false as const, reason: 'not planned', loopback: false });
  const off = plans.findIndex((p) => !p.spread);
  if (off < 0) return plans[0]!;
  const p = plans[off]!;
  if (p.spread || targets.length === 1) return p;
  return { ...p, reason: `${targets[off]!.url}: ${p.reason}` };
}

/**
 * Which instance a user key's phone is on, for the sink: crowd ids are idBase + n (a replay's: replay.ts).
 */
export function crowdInstanceResolver(idBase: number, count: number): (key: string) => number {
  return (key) => {
    const n = Number(key) - idBase;
    return Number.isInteger(n) && n >= 0 ? instanceOf(n, count) : -1;
  };
}

/** What the sink measured per instance: distinct updates delivered and their latency. */
export class InstanceTally {
  readonly delivered: number[];
  private readonly latency: LatencyStats[];

  constructor(count: number) {
    this.delivered = new Array<number>(count).fill(0);
    this.latency = Array.from({ length: count }, () => new LatencyStats());
  }

  record(instance: number, latencyMs: number): void {
    if (instance < 0 || instance >= this.delivered.length) return;
    this.delivered[instance]!++;
    this.latency[instance]!.record(latencyMs);
  }

  summary(): Array<{ delivered: number; latency: LatencySummary }> {
    return this.delivered.map((delivered, i) => ({ delivered, latency: this.latency[i]!.summary() }));
  }
}
