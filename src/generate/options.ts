/**
 * The generator's options: defaults, config-file merge and validation. Everything that reaches a template
 * has passed through `resolveOptions`, which throws GenerateOptionsError (exit 2) before any file is written.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../common/user-error.js';
import { MAX_BATCH_HZ, MAX_SINK_TOKEN, MIN_BATCH_HZ, MIN_SINK_TOKEN } from '../protocol/index.js';
import { columnsOptionsProblem, type SinkEncoding } from './columns-options.js';

export type GenerateMode = 'route' | 'broadcast';

/** How TouchDesigner gets the phones: from the relay over a WebSocket DAT, as their server (Web Server DAT), or
 * from the relay's OSC output (OSC In DAT). */
export type GenerateTarget = 'websocket' | 'webserver' | 'osc';
/** The targets this version generates. */
export const TARGETS: readonly GenerateTarget[] = ['websocket', 'webserver', 'osc'];

export interface GenerateOptions {
  target: GenerateTarget;
  table: string;
  columns: readonly [string, string, string, string, string];
  /** Seconds of silence before a user's row is pruned; 0 disables pruning. */
  timeout: number;
  invertY: boolean;
  normalize: boolean;
  mode: GenerateMode;
  sinkToken?: string;
  batchHz?: number;
  /** What the sink hello asks the relay for: JSON text frames (default) or f32-columns binary batches (needs
   * batchHz; src/generate/columns-options.ts). */
  encoding: SinkEncoding;
  /** f32-columns: how often the Table DAT's values are refreshed from the columns (0: never; the Script CHOP
   * always has them). */
  tableHz?: number;
  websocketDat: string;
  /** The Web Server DAT of --target webserver. */
  webserverDat: string;
  /** The OSC In DAT of --target osc. */
  oscinDat: string;
  /** The DAT holding the network DAT's callbacks (default: the network DAT's name + _callbacks). */
  callbacksDat: string;
  /** The Execute DAT install.py creates (any name works when wiring by hand). */
  executeDat: string;
  /** The Script CHOP with one sample per slot (its callbacks DAT is this name + _callbacks). */
  scriptChop: string;
  /** Columns appended after the five, in this order: `slot` (a stable small integer per user), `hue`. */
  extraColumns: readonly ExtraColumn[];
  /** The relay's address and port, written into install.py's WebSocket DAT (Network Address, Network Port);
   * with --target webserver the Web Server DAT's port, with --target osc the OSC In DAT's. */
  host: string;
  port: number;
}

export const EXTRA_COLUMNS = ['slot', 'hue'] as const;
export type ExtraColumn = (typeof EXTRA_COLUMNS)[number];

export const DEFAULT_OPTIONS: GenerateOptions = {
  target: 'websocket',
  table: 'test_test',
  columns: ['user', 'valuex', 'valuey', 'speed', 'angle'],
  timeout: 10,
  invertY: false,
  normalize: false,
  mode: 'route',
  encoding: 'json',
  websocketDat: 'websocket1',
  webserverDat: 'webserver1',
  oscinDat: 'oscin1',
  callbacksDat: 'websocket1_callbacks',
  executeDat: 'tdcrowd_execute',
  scriptChop: 'tdcrowd_chop',
  extraColumns: [],
  // not "localhost": it may resolve to ::1 while the relay listens on IPv4 only
  host: '127.0.0.1',
  port: 8080,
};

/** The default port of each target: the relay's, the Web Server DAT's (phones open http://TD:8080/), and a
 * common OSC port. */
export const DEFAULT_PORTS: Readonly<Record<GenerateTarget, number>> = { websocket: 8080, webserver: 8080, osc: 7000 };

/** The Script CHOP's channels: every table column but the id (ids are text, or integers past float32), then
 * `active` (1 for a slot a user holds, 0 for a free one). */
export function channelNames(o: Pick<GenerateOptions, 'columns' | 'extraColumns'>): string[] {
  return [...o.columns.slice(1), ...o.extraColumns, 'active'];
}

/** A bad option value or config file; the CLI prints it and exits 2, and no file is written. */
export class GenerateOptionsError extends UserError {
  override name = 'GenerateOptionsError';
}

/** Where `tdcrowd generate` writes when not told (the committed defaults). */
export const DEFAULT_OUT_DIR = 'td';

/** TouchDesigner operator names (and our column labels): letters, digits, underscore, no leading digit. */
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Option keys as written on the command line and in --config files (camelCase accepted too). */
const KEYS = {
  target: 'target',
  table: 'table',
  columns: 'columns',
  timeout: 'timeout',
  'invert-y': 'invertY',
  normalize: 'normalize',
  mode: 'mode',
  'sink-token': 'sinkToken',
  'batch-hz': 'batchHz',
  encoding: 'encoding',
  'table-hz': 'tableHz',
  'websocket-dat': 'websocketDat',
  'webserver-dat': 'webserverDat',
  'oscin-dat': 'oscinDat',
  'callbacks-dat': 'callbacksDat',
  'execute-dat': 'executeDat',
  'script-chop': 'scriptChop',
  'extra-columns': 'extraColumns',
  host: 'host',
  port: 'port',
} as const satisfies Record<string, keyof GenerateOptions>;

export type RawOptions = Partial<Record<keyof GenerateOptions, unknown>>;

function checkName(flag: string, v: unknown): string {
  if (typeof v !== 'string' || !NAME_RE.test(v)) {
    throw new GenerateOptionsError(
      `--${flag} must be a TouchDesigner operator name (letters, digits and _, not starting with a digit, at most 64 characters); got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function checkColumns(v: unknown): GenerateOptions['columns'] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.replace(/^[ \t]+|[ \t]+$/g, '')) : v;
  if (!Array.isArray(list) || list.length !== 5) {
    throw new GenerateOptionsError(
      `--columns needs exactly 5 comma-separated names (id, x, y, speed, angle), e.g. user,valuex,valuey,speed,angle; got ${JSON.stringify(v)}`,
    );
  }
  for (const name of list) {
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      throw new GenerateOptionsError(
        `--columns: ${JSON.stringify(name)} is not a valid column name (letters, digits and _, not starting with a digit)`,
      );
    }
  }
  if (new Set(list).size !== 5) throw new GenerateOptionsError(`--columns: names must be distinct; got ${list.join(',')}`);
  return list as unknown as GenerateOptions['columns'];
}

function toNumber(flag: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new GenerateOptionsError(`--${flag} must be a number; got ${JSON.stringify(v)}`);
  return n;
}

function toBool(flag: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new GenerateOptionsError(`--${flag} must be true or false; got ${JSON.stringify(v)}`);
}

function checkExtraColumns(v: unknown, columns: readonly string[]): ExtraColumn[] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
  if (!Array.isArray(list)) throw new GenerateOptionsError(`--extra-columns takes a comma-separated list of ${EXTRA_COLUMNS.join(', ')}; got ${JSON.stringify(v)}`);
  const out: ExtraColumn[] = [];
  for (const name of list) {
    if (!(EXTRA_COLUMNS as readonly unknown[]).includes(name)) {
      throw new GenerateOptionsError(`--extra-columns: ${JSON.stringify(name)} is not one of ${EXTRA_COLUMNS.join(', ')}`);
    }
    if (out.includes(name as ExtraColumn)) throw new GenerateOptionsError(`--extra-columns: ${String(name)} is listed twice`);
    if (columns.includes(name as string)) throw new GenerateOptionsError(`--extra-columns: ${String(name)} is already one of --columns`);
    out.push(name as ExtraColumn);
  }
  return out;
}

/** A host name or address as TouchDesigner's Network Address takes it (no scheme, no path, no spaces). */
const HOST_RE = /^[A-Za-z0-9._:[\]-]{1,253}$/;

/** Validates and completes options; throws GenerateOptionsError with a message naming the flag. */
export function resolveOptions(raw: RawOptions): GenerateOptions {
  const o: GenerateOptions = { ...DEFAULT_OPTIONS };
  if (raw.target !== undefined) {
    if (!(TARGETS as readonly unknown[]).includes(raw.target)) {
      throw new GenerateOptionsError(`--target must be one of ${TARGETS.join(', ')}; got ${JSON.stringify(raw.target)}`);
    }
    o.target = raw.target as GenerateTarget;
  }
  o.port = DEFAULT_PORTS[o.target];
  if (raw.table !== undefined) o.table = checkName('table', raw.table);
  if (raw.columns !== undefined) o.columns = checkColumns(raw.columns);
  if (raw.timeout !== undefined) {
    o.timeout = toNumber('timeout', raw.timeout);
    if (o.timeout < 0) throw new GenerateOptionsError(`--timeout must be >= 0 seconds (0 turns pruning off); got ${o.timeout}`);
    if (o.timeout > 86_400) throw new GenerateOptionsError(`--timeout must be at most 86400 seconds; got ${o.timeout}`);
  }
  if (raw.invertY !== undefined) o.invertY = toBool('invert-y', raw.invertY);
  if (raw.normalize !== undefined) o.normalize = toBool('normalize', raw.normalize);
  if (raw.mode !== undefined) {
    if (raw.mode !== 'route' && raw.mode !== 'broadcast') {
      throw new GenerateOptionsError(`--mode must be route or broadcast; got ${JSON.stringify(raw.mode)}`);
    }
    o.mode = raw.mode;
  }
  if (raw.sinkToken !== undefined) {
    const t = raw.sinkToken;
    if (typeof t !== 'string' || t.length < MIN_SINK_TOKEN || t.length > MAX_SINK_TOKEN) {
      // the relay refuses shorter tokens at start: scripts carrying one could never be admitted
      throw new GenerateOptionsError(`--sink-token must be a string of ${MIN_SINK_TOKEN}-${MAX_SINK_TOKEN} characters (the relay's own rule)`);
    }
    o.sinkToken = t;
  }
  if (raw.batchHz !== undefined) {
    const hz = toNumber('batch-hz', raw.batchHz);
    if (!(hz >= MIN_BATCH_HZ && hz <= MAX_BATCH_HZ)) {
      throw new GenerateOptionsError(`--batch-hz must be from ${MIN_BATCH_HZ} to ${MAX_BATCH_HZ} batches per second; got ${hz}`);
    }
    o.batchHz = hz;
  }
  if (o.mode === 'broadcast' && (o.sinkToken !== undefined || o.batchHz !== undefined)) {
    throw new GenerateOptionsError(
      '--sink-token and --batch-hz travel in the sink hello, which only --mode route sends (a broadcast relay would forward it to every phone)',
    );
  }
  const columnsProblem = columnsOptionsProblem(raw, o);
  if (columnsProblem !== undefined) throw new GenerateOptionsError(columnsProblem);
  if (raw.websocketDat !== undefined) o.websocketDat = checkName('websocket-dat', raw.websocketDat);
  if (raw.webserverDat !== undefined) o.webserverDat = checkName('webserver-dat', raw.webserverDat);
  if (raw.oscinDat !== undefined) o.oscinDat = checkName('oscin-dat', raw.oscinDat);
  const network = o.target === 'websocket' ? o.websocketDat : o.target === 'webserver' ? o.webserverDat : o.oscinDat;
  o.callbacksDat = raw.callbacksDat !== undefined ? checkName('callbacks-dat', raw.callbacksDat) : `${network}_callbacks`;
  if (o.callbacksDat.length > 64) throw new GenerateOptionsError(`--callbacks-dat: ${o.callbacksDat} is longer than 64 characters`);
  if (raw.scriptChop !== undefined) o.scriptChop = checkName('script-chop', raw.scriptChop);
  if (o.scriptChop.length > 64 - '_callbacks'.length) {
    throw new GenerateOptionsError(`--script-chop must be at most ${64 - '_callbacks'.length} characters (its callbacks DAT adds _callbacks)`);
  }
  if (raw.extraColumns !== undefined) o.extraColumns = checkExtraColumns(raw.extraColumns, o.columns);
  if (raw.host !== undefined) {
    if (typeof raw.host !== 'string' || !HOST_RE.test(raw.host)) {
      throw new GenerateOptionsError(`--host must be a host name or IP address (no ws:// and no port); got ${JSON.stringify(raw.host)}`);
    }
    o.host = raw.host;
  }
  if (raw.port !== undefined) {
    const port = toNumber('port', raw.port);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new GenerateOptionsError(`--port must be an integer from 1 to 65535; got ${JSON.stringify(raw.port)}`);
    o.port = port;
  }
  if (raw.executeDat !== undefined) o.executeDat = checkName('execute-dat', raw.executeDat);
  const names = [o.table, network, o.callbacksDat, o.executeDat, o.scriptChop, `${o.scriptChop}_callbacks`];
  if (new Set(names).size !== names.length) {
    const flag = o.target === 'websocket' ? '--websocket-dat' : o.target === 'webserver' ? '--webserver-dat' : '--oscin-dat';
    throw new GenerateOptionsError(
      `--table, ${flag}, --callbacks-dat, --execute-dat and --script-chop (and its _callbacks DAT) must name different operators; got ${names.join(', ')}`,
    );
  }
  if (channelNames(o).slice(0, -1).includes('active')) {
    throw new GenerateOptionsError("--columns: 'active' is the Script CHOP's own channel (1 for a slot in use); name the column otherwise");
  }
  return o;
}

/** Reads a --config JSON file into raw options (flag names or camelCase keys); unknown keys are an error. */
export function readConfig(path: string): RawOptions {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GenerateOptionsError(`--config ${path}: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new GenerateOptionsError(`--config ${path}: expected a JSON object of options`);
  }
  const raw: RawOptions = {};
  const camel = new Set<string>(Object.values(KEYS));
  for (const [k, v] of Object.entries(data)) {
    const key = (KEYS as Record<string, keyof GenerateOptions>)[k] ?? (camel.has(k) ? (k as keyof GenerateOptions) : undefined);
    if (key === undefined) {
      throw new GenerateOptionsError(`--config ${path}: unknown option ${JSON.stringify(k)} (known: ${Object.keys(KEYS).join(', ')})`);
    }
    raw[key] = v;
  }
  return raw;
}

export const OPTION_FLAGS = KEYS;
