/**
 * Process metrics for /metrics: prom-client's default collectors (CPU seconds, resident memory, heap, event-loop
 * lag, open and max file descriptors, active handles, GC durations), under their usual unprefixed names
 * (process_*, nodejs_*) so stock Node.js dashboards read them. They describe the process, not a relay, so one
 * registry serves every relay the process runs, started with the first (the collectors cannot be stopped, and
 * one event-loop monitor is enough).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;

/** Starts the collectors once per process. */
export function startProcessMetrics(): void {
  if (registry) return;
  registry = new Registry();
  collectDefaultMetrics({ register: registry });
}

/** Prometheus text of the process metrics ('' before startProcessMetrics). */
export async function renderProcessMetrics(): Promise<string> {
  return registry ? registry.metrics() : '';
}
