/**
 * One machine's /healthz and /metrics from every worker's own (`relay --workers N`).
 *
 * /healthz: the answering worker's body, with the counts summed over the workers, `status` ok when any worker
 * has somewhere to send the updates, and `workers` listing each one (`answered: false` when it did not answer in
 * time, e.g. while it restarts) and `worker` naming the one that answered this request.
 *
 * /metrics: the relay's own families (`tdcrowd_*`) are summed series by series (counters, counts of connections,
 * histogram buckets); the gauges in MAX_FAMILIES take the largest value instead. Every other family (prom-client's
 * process_* and nodejs_*, which describe one process) is kept per worker with a `worker` label. Then
 * `tdcrowd_workers` and `tdcrowd_worker_up{worker,pid}`.
 */
import type { WorkerReport } from './messages.js';

/** Gauges that do not add up across workers. */
export const MAX_FAMILIES = new Set(['tdcrowd_uptime_seconds', 'tdcrowd_sink_queue_users']);

type Roles = Record<string, number>;

interface LocalHealth {
  ok?: boolean;
  status?: string;
  why?: string;
  uptimeS?: number;
  connections?: Roles;
  users?: number;
  sinks?: { websocket?: number; osc?: number };
  [k: string]: unknown;
}

export interface Answering {
  worker: number;
  pid: number;
}

export function mergeHealthz(reports: readonly WorkerReport[], self: Answering, own: Record<string, unknown>): Record<string, unknown> {
  const bodies = reports.filter((r) => r.body !== undefined).map((r) => r.body as LocalHealth);
  // The answering worker's own fields come first (fields the merge does not know pass through).
  if (!reports.some((r) => r.worker === self.worker && r.body !== undefined)) bodies.push(own as LocalHealth);
  const connections: Roles = {};
  let users = 0;
  let websocket = 0;
  let osc = 0;
  let uptimeS = 0;
  for (const b of bodies) {
    for (const [role, n] of Object.entries(b.connections ?? {})) connections[role] = (connections[role] ?? 0) + n;
    users += b.users ?? 0;
    websocket += b.sinks?.websocket ?? 0;
    // Every worker sends to the same OSC targets.
    osc = Math.max(osc, b.sinks?.osc ?? 0);
    uptimeS = Math.max(uptimeS, b.uptimeS ?? 0);
  }
  const listening = bodies.some((b) => b.status === 'ok');
  const { why: _why, ...base } = own as LocalHealth;
  const why = listening ? undefined : (bodies.find((b) => b.why !== undefined)?.why ?? (own as LocalHealth).why);
  return {
    ...base,
    ok: bodies.every((b) => b.ok === true),
    status: listening ? 'ok' : 'degraded',
    ...(why === undefined ? {} : { why }),
    uptimeS,
    connections,
    users,
    sinks: { websocket, osc },
    worker: self,
    workers: reports.map((r) => {
      const b = r.body as LocalHealth | undefined;
      return b === undefined
        ? { worker: r.worker, pid: r.pid, answered: false }
        : { worker: r.worker, pid: r.pid, answered: true, status: b.status, connections: b.connections, users: b.users, sinks: b.sinks?.websocket ?? 0 };
    }),
  };
}

interface Family {
  name: string;
  head: string[];
  /** tdcrowd_*: series → value, in first-seen order. */
  sums: Map<string, number>;
  /** Others: sample lines with the worker label. */
  lines: string[];
}

export function mergeMetrics(reports: readonly WorkerReport[]): string {
  const families = new Map<string, Family>();
  for (const r of reports) {
    if (typeof r.body !== 'string') continue;
    let current: Family | undefined;
    for (const line of r.body.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta !== null) {
        const name = meta[2]!;
        current = families.get(name);
        if (current === undefined) {
          current = { name, head: [], sums: new Map(), lines: [] };
          families.set(name, current);
        }
        // Each worker repeats HELP and TYPE: keep the first of each.
        if (!current.head.some((h) => h.startsWith(`# ${meta[1]} `))) current.head.push(line);
        continue;
      }
      if (line.startsWith('#') || current === undefined) continue;
      const space = line.lastIndexOf(' ');
      const series = line.slice(0, space);
      if (current.name.startsWith('tdcrowd_')) {
        const value = parseValue(line.slice(space + 1));
        const before = current.sums.get(series);
        current.sums.set(series, before === undefined ? value : MAX_FAMILIES.has(current.name) ? Math.max(before, value) : before + value);
      } else {
        current.lines.push(withLabel(line, 'worker', String(r.worker)));
      }
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    out.push(...f.head);
    for (const [series, v] of f.sums) out.push(`${series} ${formatValue(v)}`);
    out.push(...f.lines);
  }
  out.push('# HELP tdcrowd_workers Workers that answered for this page (relay --workers).', '# TYPE tdcrowd_workers gauge');
  out.push(`tdcrowd_workers ${reports.filter((r) => r.body !== undefined).length}`);
  out.push('# HELP tdcrowd_worker_up Whether each worker answered for this page (0 while it restarts or when it was too slow).', '# TYPE tdcrowd_worker_up gauge');
  for (const r of reports) out.push(`tdcrowd_worker_up{worker="${r.worker}",pid="${r.pid}"} ${r.body === undefined ? 0 : 1}`);
  return `${out.join('\n')}\n`;
}

/** `name{a="b"} v` → `name{worker="1",a="b"} v`. */
export function withLabel(sample: string, label: string, value: string): string {
  const brace = sample.indexOf('{');
  const space = sample.indexOf(' ');
  if (brace !== -1 && brace < space) {
    const close = sample.indexOf('}', brace);
    const inner = sample.slice(brace + 1, close);
    return `${sample.slice(0, brace)}{${label}="${value}"${inner === '' ? '' : `,${inner}`}${sample.slice(close)}`;
  }
  return `${sample.slice(0, space)}{${label}="${value}"}${sample.slice(space)}`;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function formatValue(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isNaN(v) ? 'NaN' : String(v);
}
