/**
 * The simulator's settings, checked once. Raw flag strings come in (from the CLI or a test); a typed,
 * validated `SimulateOptions` comes out, or an `OptionsError` whose message names the flag.
 */
import { ENCODINGS, MAX_BATCH_HZ, MIN_BATCH_HZ, MAX_SINK_TOKEN, type Encoding } from '../protocol/index.js';
import { DEFAULT_CLIENT_TLS, readClientTls, type ClientTls } from './client-tls.js';
import { OptionsError } from './errors.js';
import { PATTERNS, type PatternName } from './patterns.js';
import { parseSlo, SINK_METRICS, type SloTerm } from './slo.js';

export interface SimulateOptions {
  /** The first of `urls` (where a single-instance run connects). */
  url: string;
  /** Relay instances the phones are spread over, round robin (instances.ts); at least one. */
  urls: string[];
  /** Where the measuring sink (and its admission probe) connects: any instance, default the first URL. */
  sinkUrl: string;
  users: number;
  /** Updates per second per moving user. */
  rate: number;
  /** Length of the sending phase, seconds; for --replay, undefined means the whole log. */
  durationS: number | undefined;
  /** Connects are spread evenly over this many seconds. */
  rampS: number;
  pattern: PatternName;
  /** Users leaving (socket closed, as when a tab closes) and new ones joining, per minute. */
  churnPerMin: number;
  idleDelete: boolean;
  /** Seconds without movement before the idle delete (the page: 10). */
  idleAfterS: number;
  replay: string | undefined;
  speed: number;
  sink: boolean;
  sinkToken: string | undefined;
  batchHz: number | undefined;
  /** What the measuring sink asks for: JSON (default) or f32-columns column batches (needs --batch-hz). */
  sinkEncoding: Encoding;
  legacy: boolean;
  report: string | undefined;
  html: string | undefined;
  slo: SloTerm[] | undefined;
  sloText: string | undefined;
  seed: number;
  /** Seconds to wait after sending stops for in-flight frames and deletes to arrive. */
  graceS: number;
  tickMs: number;
  /** First sliderId; user n gets idBase + n (integers, like the tutorial's page). */
  idBase: number;
  progress: 'auto' | 'none';
  /** Worker threads generating the crowd (1 = the main thread does it). */
  threads: number;
  /** How a wss:// relay's certificate is checked (--insecure, --ca). */
  tls: ClientTls;
}

/** Flag text as the CLI hands it over; `url` may be given several times (an array). */
export type RawOptions = Record<string, string | string[] | boolean | undefined>;

/** More instances than this is a typo, not a cluster (and every one costs a row in each report). */
export const MAX_URLS = 64;

export const DEFAULTS = {
  url: 'ws://127.0.0.1:8080',
  users: 10,
  rate: 30,
  durationS: 10,
  rampS: 0,
  pattern: 'circle' as PatternName,
  churnPerMin: 0,
  idleAfterS: 10,
  speed: 1,
  graceS: 2,
  tickMs: 5,
  idBase: 100000,
  seed: 1,
  threads: 1,
};

export function resolveOptions(raw: RawOptions): SimulateOptions {
  const replay = str(raw, 'replay');
  const sink = bool(raw, 'sink');
  const legacy = bool(raw, 'legacy');
  const urls = urlList(raw.url);
  const o: SimulateOptions = {
    url: urls[0]!,
    urls,
    sinkUrl: str(raw, 'sinkUrl') ?? urls[0]!,
    users: num(raw, 'users', DEFAULTS.users, { integer: true, min: 1, max: 20000 }),
    rate: num(raw, 'rate', DEFAULTS.rate, { min: 0.01, max: 1000 }),
    durationS: raw.duration === undefined ? (replay ? undefined : DEFAULTS.durationS) : num(raw, 'duration', 0, { min: 0.1 }),
    rampS: num(raw, 'ramp', DEFAULTS.rampS, { min: 0 }),
    pattern: pattern(str(raw, 'pattern') ?? DEFAULTS.pattern),
    churnPerMin: num(raw, 'churn', DEFAULTS.churnPerMin, { min: 0, max: 600000 }),
    idleDelete: bool(raw, 'idleDelete'),
    idleAfterS: num(raw, 'idleAfter', DEFAULTS.idleAfterS, { min: 0.1 }),
    replay,
    speed: num(raw, 'speed', DEFAULTS.speed, { min: 0.001, max: 1000 }),
    sink,
    sinkToken: str(raw, 'sinkToken'),
    batchHz: raw.batchHz === undefined ? undefined : num(raw, 'batchHz', 0, { min: MIN_BATCH_HZ, max: MAX_BATCH_HZ }),
    sinkEncoding: encoding(str(raw, 'sinkEncoding') ?? 'json'),
    legacy,
    report: str(raw, 'report'),
    html: str(raw, 'html'),
    slo: undefined,
    sloText: str(raw, 'slo'),
    seed: num(raw, 'seed', DEFAULTS.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    graceS: num(raw, 'grace', DEFAULTS.graceS, { min: 0 }),
    tickMs: num(raw, 'tick', DEFAULTS.tickMs, { min: 1, max: 100 }),
    idBase: num(raw, 'idBase', DEFAULTS.idBase, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER - 1e9 }),
    progress: raw.progress === false ? 'none' : 'auto',
    threads: num(raw, 'threads', DEFAULTS.threads, { integer: true, min: 1, max: 64 }),
    tls: DEFAULT_CLIENT_TLS,
  };

  if (raw.sinkUrl !== undefined) {
    if (!sink) throw new OptionsError('--sink-url needs --sink');
    checkWsUrl('--sink-url', o.sinkUrl);
  }
  o.tls = readClientTls(bool(raw, 'insecure'), str(raw, 'ca'), o.urls);
  if (o.sinkToken !== undefined && !sink) throw new OptionsError('--sink-token needs --sink');
  if (o.batchHz !== undefined && !sink) throw new OptionsError('--batch-hz needs --sink');
  if (legacy && o.sinkToken !== undefined) throw new OptionsError('--legacy speaks the tutorial format only: no hello, so no --sink-token');
  if (legacy && o.batchHz !== undefined) throw new OptionsError('--legacy speaks the tutorial format only: no hello, so no --batch-hz');
  if (raw.sinkEncoding !== undefined && !sink) throw new OptionsError('--sink-encoding needs --sink');
  if (o.sinkEncoding === 'f32-columns') {
    if (o.batchHz === undefined) throw new OptionsError('--sink-encoding f32-columns needs --batch-hz (column batches go out once per tick)');
    if (legacy || replay) throw new OptionsError('--sink-encoding f32-columns measures with seq and t: not with --legacy or --replay');
  }
  if (o.sinkToken !== undefined && (o.sinkToken.length < 1 || o.sinkToken.length > MAX_SINK_TOKEN)) {
    throw new OptionsError(`--sink-token must be 1-${MAX_SINK_TOKEN} characters`);
  }
  if (o.threads > 1 && (legacy || replay)) throw new OptionsError('--threads works with the stamped format only (not with --legacy or --replay)');
  if (o.threads > o.users) throw new OptionsError(`--threads ${o.threads} is more than --users ${o.users}`);
  if (raw.speed !== undefined && !replay) throw new OptionsError('--speed applies to --replay only');
  if (o.sloText !== undefined) {
    o.slo = parseSlo(o.sloText);
    const needsSink = o.slo.filter((t) => SINK_METRICS.has(t.metric));
    if (!sink && needsSink.length > 0) {
      throw new OptionsError(`--slo ${needsSink.map((t) => t.metric).join(', ')} is measured by the sink: add --sink`);
    }
  }
  return o;
}

function str(raw: RawOptions, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === false) return undefined;
  if (v === true) throw new OptionsError(`--${flag(key)} needs a value`);
  if (Array.isArray(v)) throw new OptionsError(`--${flag(key)} takes one value, got ${v.length}`);
  return v;
}

/** `--url` repeatable and comma-separated; each entry a ws:// or wss:// URL, none twice. */
function urlList(v: RawOptions[string]): string[] {
  if (v === undefined || v === false) return [DEFAULTS.url];
  if (v === true) throw new OptionsError('--url needs a value');
  const entries = (Array.isArray(v) ? v : [v]).flatMap((e) => e.split(',')).map((e) => e.trim());
  if (entries.some((e) => e === '')) throw new OptionsError(`--url has an empty entry in ${JSON.stringify((Array.isArray(v) ? v : [v]).join(','))}`);
  for (const u of entries) checkWsUrl('--url', u);
  const twice = entries.find((u, i) => entries.indexOf(u) !== i);
  if (twice !== undefined) throw new OptionsError(`--url lists ${twice} twice`);
  if (entries.length > MAX_URLS) throw new OptionsError(`--url lists ${entries.length} instances; at most ${MAX_URLS}`);
  return entries;
}

function checkWsUrl(name: string, u: string): void {
  let ok = /^wss?:\/\/[^\s]+$/i.test(u);
  if (ok) {
    try {
      ok = new URL(u).hostname !== '';
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new OptionsError(`${name} must be a ws:// or wss:// URL, got ${JSON.stringify(u)}`);
}

function bool(raw: RawOptions, key: string): boolean {
  const v = raw[key];
  return v === true || v === 'true';
}

function num(raw: RawOptions, key: string, dflt: number, limits: { integer?: boolean; min?: number; max?: number }): number {
  const v = raw[key];
  if (v === undefined) return dflt;
  const text = typeof v === 'string' ? v.trim() : '';
  const n = text === '' ? Number.NaN : Number(text);
  const what = limits.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(n) || (limits.integer && !Number.isInteger(n))) {
    throw new OptionsError(`--${flag(key)} must be ${what}, got ${JSON.stringify(v)}`);
  }
  if (limits.min !== undefined && n < limits.min) throw new OptionsError(`--${flag(key)} must be at least ${limits.min}, got ${n}`);
  if (limits.max !== undefined && n > limits.max) throw new OptionsError(`--${flag(key)} must be at most ${limits.max}, got ${n}`);
  return n;
}

function encoding(v: string): Encoding {
  if ((ENCODINGS as readonly string[]).includes(v)) return v as Encoding;
  throw new OptionsError(`--sink-encoding must be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(v)}`);
}

function pattern(v: string): PatternName {
  if ((PATTERNS as readonly string[]).includes(v)) return v as PatternName;
  throw new OptionsError(`--pattern must be one of ${PATTERNS.join(', ')}, got ${JSON.stringify(v)}`);
}

function flag(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
