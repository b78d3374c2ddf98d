/**
 * The messages between the primary and its workers over node:cluster's IPC channel. Every one carries
 * `tdcrowd: 1`, so messages of other libraries on the same channel (prom-client's cluster support) are ignored.
 */
import type { RelayOptions } from '../options.js';

/** Which machine-wide answer a worker asks for. */
export type Gathered = 'healthz' | 'metrics';

export type ToWorker =
  /** Options as resolved once by the primary (the `--sink-token auto` token is already generated). */
  | { tdcrowd: 1; t: 'start'; worker: number; options: RelayOptions }
  /** Send this worker's own answer for `what`. */
  | { tdcrowd: 1; t: 'report'; req: number; what: Gathered }
  /** The answer to a worker's gather: every worker's own answer (undefined: that worker did not answer in time). */
  | { tdcrowd: 1; t: 'gathered'; req: number; reports: WorkerReport[] }
  /** The answer to an address lease request. */
  | { tdcrowd: 1; t: 'lease'; req: number; key: string; unidentified: boolean; controller: boolean }
  | { tdcrowd: 1; t: 'shutdown' };

export type ToPrimary =
  /**
   * The worker listens for messages (a cluster worker loses messages that arrive before its module has added
   * its listener, so the primary sends `start` only after this).
   */
  | { tdcrowd: 1; t: 'up' }
  /** The relay listens and its log is open. */
  | { tdcrowd: 1; t: 'ready'; port: number }
  /** The relay could not start (a user error: port in use, log not writable); the worker exits 2. */
  | { tdcrowd: 1; t: 'fatal'; message: string }
  /** Asks for every worker's answer to `what`. */
  | { tdcrowd: 1; t: 'gather'; req: number; what: Gathered }
  | { tdcrowd: 1; t: 'report'; req: number; body: unknown }
  /** An upgrade from `key`: an unidentified place, and a controller place if one is free. */
  | { tdcrowd: 1; t: 'acquire'; req: number; key: string }
  /** Places given back. */
  | { tdcrowd: 1; t: 'release'; key: string; unidentified: number; controller: number };

export interface WorkerReport {
  worker: number;
  pid: number;
  /** undefined when the worker did not answer in time. */
  body: unknown;
}

export function isOurs<T extends { tdcrowd: 1 }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && (m as { tdcrowd?: unknown }).tdcrowd === 1;
}
