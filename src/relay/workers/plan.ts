/**
 * What `relay --workers N` runs: how many workers (checked here, before anything starts), and each one's options.
 * Loaded by the CLI on every start, so it imports nothing heavy (node:cluster is the primary's, primary.ts).
 */
import { extname } from 'node:path';
import { RelayOptionsError, type RelayOptions } from '../options.js';

/** More processes than this on one machine is a typo, not a plan. */
export const MAX_WORKERS = 64;

/** `--workers` as given (default 1); more than one needs `--redis`, through which workers route to each other. */
export function workerCount(text: string | undefined, redis: string | undefined): number {
  if (text === undefined) return 1;
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new RelayOptionsError(`--workers must be an integer from 1 to ${MAX_WORKERS}, got ${JSON.stringify(text)}`);
  }
  if (n > 1 && redis === undefined) {
    throw new RelayOptionsError(
      `--workers ${n} needs --redis redis://HOST:PORT: the workers reach each other's phones and sinks through Redis`,
    );
  }
  return n;
}

/**
 * Worker `id`'s log: `relay.jsonl` → `relay-w1.jsonl` (the suffix before the extension; rotation still appends
 * `.1`, `.2`, … to the whole name, so `relay-w1.jsonl.1` is worker 1's previous file).
 */
export function workerLogPath(path: string, id: number): string {
  const ext = extname(path);
  const stem = ext === '' ? path : path.slice(0, -ext.length);
  return `${stem}-w${id}${ext}`;
}

/** The options worker `id` runs with: the primary's, resolved once (one generated sink token), its own log. */
export function workerOptions(options: RelayOptions, id: number): RelayOptions {
  return options.log === undefined ? { ...options } : { ...options, log: workerLogPath(options.log, id) };
}
