/**
 * `--slo "p99<50,delivery>=0.999"`: a comma-separated list of `metric op number`. Parsing fails loudly (the CLI
 * turns it into exit 2); evaluation says which terms held (a breach makes the run exit 1).
 */
import { SloSyntaxError } from './errors.js';

/** Metric names the SLO may use, and what each one reads. */
export const SLO_METRICS = {
  p50: 'latency p50, ms',
  p95: 'latency p95, ms',
  p99: 'latency p99, ms',
  max: 'latency max, ms',
  mean: 'latency mean, ms',
  delivery: 'delivery ratio, 0..1 (or a percentage with %)',
  duplicates: 'duplicate updates at the sink',
  outOfOrder: 'updates that arrived after a later one of the same user',
  ghosts: 'users that left but were never deleted at the sink',
  lag: 'event-loop lag p99 of the simulator, ms',
  cpu: 'simulator CPU, percent of one core',
  rate: 'achieved send rate, messages/s',
  fps: 'frames per second received by the sink',
} as const;

export type SloMetric = keyof typeof SLO_METRICS;
export type SloOperator = '<' | '<=' | '>' | '>=' | '==';

/** Metrics that need the measuring sink (`--sink`) to mean anything. */
export const SINK_METRICS: ReadonlySet<SloMetric> = new Set(['p50', 'p95', 'p99', 'max', 'mean', 'delivery', 'duplicates', 'outOfOrder', 'ghosts', 'fps']);

export interface SloTerm {
  metric: SloMetric;
  op: SloOperator;
  value: number;
  /** The term as written, for messages. */
  text: string;
}

export interface SloResult {
  term: string;
  metric: SloMetric;
  actual: number | null;
  ok: boolean;
}

const ALIASES: Record<string, SloMetric> = {
  ooo: 'outOfOrder',
  outoforder: 'outOfOrder',
  ghostusers: 'ghosts',
  deliveryratio: 'delivery',
  dup: 'duplicates',
  dups: 'duplicates',
};

const TERM = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(%|ms)?\s*$/i;

export function parseSlo(text: string): SloTerm[] {
  if (text.trim() === '') throw new SloSyntaxError('--slo is empty; expected e.g. "p99<50,delivery>=0.999"');
  const terms: SloTerm[] = [];
  for (const raw of text.split(',')) {
    const m = TERM.exec(raw);
    if (!m) {
      throw new SloSyntaxError(
        `--slo: cannot read ${JSON.stringify(raw.trim())}; expected METRIC OP NUMBER like "p99<50" or "delivery>=0.999" (operators < <= > >= ==)`,
      );
    }
    const [, name = '', op = '', num = '', unitSuffix] = m;
    const metric = resolveMetric(name);
    let value = Number(num);
    if (unitSuffix === '%') {
      if (metric !== 'delivery' && metric !== 'cpu') throw new SloSyntaxError(`--slo: "%" only applies to delivery and cpu, not ${name}`);
      // toPrecision: 99.9 / 100 must be 0.999, not 0.9990000000000001.
      if (metric === 'delivery') value = Number((value / 100).toPrecision(12));
    }
    if (unitSuffix?.toLowerCase() === 'ms' && !['p50', 'p95', 'p99', 'max', 'mean', 'lag'].includes(metric)) {
      throw new SloSyntaxError(`--slo: "ms" only applies to latency and lag metrics, not ${name}`);
    }
    terms.push({ metric, op: op as SloOperator, value, text: raw.trim() });
  }
  return terms;
}

function resolveMetric(name: string): SloMetric {
  if (Object.hasOwn(SLO_METRICS, name)) return name as SloMetric;
  const alias = ALIASES[name.toLowerCase()];
  if (alias) return alias;
  const known = Object.keys(SLO_METRICS).join(', ');
  throw new SloSyntaxError(`--slo: unknown metric ${JSON.stringify(name)}; known: ${known}`);
}

export type SloValues = Record<SloMetric, number | null>;

/** A metric that was not measured (null) fails its term: an SLO nobody checked has not held. */
export function evaluateSlo(terms: readonly SloTerm[], values: SloValues): SloResult[] {
  return terms.map((t) => {
    const actual = values[t.metric];
    return { term: t.text, metric: t.metric, actual, ok: actual !== null && holds(actual, t.op, t.value) };
  });
}

function holds(actual: number, op: SloOperator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}
