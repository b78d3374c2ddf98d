/**
 * Renders the Handlebars templates into Python. Templates are compiled once per process with noEscape
 * (HTML escaping means nothing in Python); values only enter through the `py` helper (a Python literal),
 * `pylines` (a long text as one literal per line), `pyassets` (the joystick page's files) and the `comment`
 * helper (printable ASCII for `#` lines). The Python every target shares (the user state, the checks, the
 * table, the slots, applying a parsed message, pruning) lives once, in templates/partials/, and each target's
 * callbacks template includes it (`{{> name}}`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import {
  ANGLE_MAX,
  COLUMNS_FLAG_DT,
  COLUMNS_FLAG_SEQ,
  COLUMNS_HEADER_BYTES,
  COLUMNS_MAGIC,
  COLUMNS_MAX_INDEX,
  COLUMNS_VERSION,
  DEFAULT_BURST,
  DEFAULT_RATE,
  ERROR_CODES,
  HUE_MAX,
  HUE_STEP,
  ID_CHARS,
  MAX_BATCH_FRAME_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_FRAME_BYTES,
  MAX_SAFE_ID,
  PING,
  PONG,
  RIM,
  SPEED_MAX,
  TOKEN_PATTERN,
} from '../protocol/index.js';
import { VERSION } from '../version.js';
import { SECURITY_HEADERS } from '../web/headers.js';
import { channelNames, OPTION_FLAGS, TARGETS, type GenerateOptions, type GenerateTarget } from './options.js';
import { pageAssets } from './page-assets.js';
import { pyComment, pyLines, pyLiteral, type PyValue } from './python-literal.js';

interface ScriptSpec {
  readonly file: string;
  readonly template: string;
}

/** The callbacks file of each target: what the network DAT (WebSocket, Web Server, OSC In) calls. */
export const CALLBACKS: Readonly<Record<GenerateTarget, ScriptSpec>> = {
  websocket: { file: 'websocket_callbacks.py', template: 'websocket_callbacks.py.hbs' },
  webserver: { file: 'webserver_callbacks.py', template: 'webserver_callbacks.py.hbs' },
  osc: { file: 'oscin_callbacks.py', template: 'oscin_callbacks.py.hbs' },
};

/** The files `generate` writes for a target, in order: output name → template file. */
export function scriptsFor(target: GenerateTarget): readonly ScriptSpec[] {
  return [
    CALLBACKS[target],
    { file: 'execute.py', template: 'execute.py.hbs' },
    { file: 'script_chop.py', template: 'script_chop.py.hbs' },
    // last: it carries the scripts above as its payload
    { file: 'install.py', template: 'install.py.hbs' },
  ];
}

/** The default target's files (what td/ holds). */
export const SCRIPTS = scriptsFor('websocket');

/** Every template file, partials excluded (each target's callbacks plus the shared ones). */
export const TEMPLATE_FILES: readonly string[] = [...new Set(TARGETS.flatMap((t) => scriptsFor(t)).map((s) => s.template))];

export const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);
export const PARTIALS_DIR = new URL('../../templates/partials/', import.meta.url);

export interface RenderedScript {
  file: string;
  text: string;
}

let hb: typeof Handlebars | undefined;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Partial name (the file name without .py.hbs) → its source. */
export function partialSources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(PARTIALS_DIR).sort()) {
    if (f.endsWith('.py.hbs')) out.set(f.slice(0, -'.py.hbs'.length), readFileSync(new URL(f, PARTIALS_DIR), 'utf8'));
  }
  return out;
}

/**
 * Handlebars' strict mode checks `{{name}}` but not a helper's argument: `{{py protocol.typo}}` would quietly
 * render None. The helpers refuse undefined themselves (absent options are null in the context).
 */
function defined(helper: string, v: unknown, options: Handlebars.HelperOptions): unknown {
  if (v !== undefined) return v;
  const at = (options as { loc?: { start?: { line?: number; column?: number } } }).loc?.start;
  throw new Error(`template: ${helper} got a name the render context does not have${at ? ` (line ${at.line}, column ${at.column})` : ''}`);
}

/** A template as `generate` compiles it: strict (a missing name is an error), values only through the helpers. */
export function compileTemplate(source: string): Handlebars.TemplateDelegate {
  if (!hb) {
    hb = Handlebars.create();
    hb.registerHelper('py', (v: unknown, options: Handlebars.HelperOptions) => pyLiteral(defined('py', v, options) as PyValue));
    hb.registerHelper('comment', (v: unknown, options: Handlebars.HelperOptions) => pyComment(String(defined('comment', v, options))));
    hb.registerHelper('pylines', (v: unknown, options: Handlebars.HelperOptions) => pyLines(String(defined('pylines', v, options))));
    hb.registerHelper('pyassets', (v: unknown, options: Handlebars.HelperOptions) => pyAssets(defined('pyassets', v, options) as PageAssetList));
    for (const [name, source] of partialSources()) hb.registerPartial(name, source);
  }
  return hb.compile(source, { noEscape: true, strict: true });
}

/** A template file, compiled on first use. */
function template(file: string): Handlebars.TemplateDelegate {
  const hit = compiled.get(file);
  if (hit) return hit;
  const render = compileTemplate(readFileSync(new URL(file, TEMPLATES_DIR), 'utf8'));
  compiled.set(file, render);
  return render;
}

type PageAssetList = readonly { path: string; type: string; text: string }[];

/** The page's files as a Python dict literal: path -> (content type, text), each text one literal per line. */
function pyAssets(assets: PageAssetList): string {
  if (assets.length === 0) return '{}';
  const items = assets.map((a) => `    ${pyLiteral(a.path)}: (${pyLiteral(a.type)}, ${pyLines(a.text).replace(/\n/g, '\n    ')}),\n`);
  return `{\n${items.join('')}}`;
}

/** Options the header names only when f32-columns is on, so the default scripts (td/) read as before. */
const COLUMNS_ONLY = {
  encoding: (o: GenerateOptions) => o.encoding !== 'json',
  tableHz: (o: GenerateOptions) => o.tableHz !== undefined,
} as const;

/** The header comment: generator version and every option, each value shown as its Python literal. */
export function headerLines(o: GenerateOptions): string[] {
  const lines = [
    `# Generated by tdcrowd ${VERSION} (tdcrowd generate). Do not edit: change the options and regenerate.`,
    '# Options:',
  ];
  const shown: Record<keyof GenerateOptions, PyValue> = {
    target: o.target,
    table: o.table,
    columns: o.columns.join(','),
    timeout: o.timeout,
    invertY: o.invertY,
    normalize: o.normalize,
    mode: o.mode,
    sinkToken: o.sinkToken === undefined ? null : '(set)', // a secret: the header says only whether it is set
    batchHz: o.batchHz ?? null,
    encoding: o.encoding,
    tableHz: o.tableHz ?? null,
    websocketDat: o.websocketDat,
    webserverDat: o.webserverDat,
    oscinDat: o.oscinDat,
    callbacksDat: o.callbacksDat,
    executeDat: o.executeDat,
    scriptChop: o.scriptChop,
    extraColumns: o.extraColumns.join(','),
    host: o.host,
    port: o.port,
  };
  for (const [flag, key] of Object.entries(OPTION_FLAGS)) {
    if (key in COLUMNS_ONLY && !COLUMNS_ONLY[key as keyof typeof COLUMNS_ONLY](o)) continue;
    lines.push(`#   --${flag} = ${pyLiteral(shown[key])}`);
  }
  return lines.map(pyComment);
}

/**
 * The protocol's limits as the templates read them (`{{{py protocol.maxId}}}`), all from src/protocol, so the
 * generated Python checks exactly what the schema allows.
 */
export const PROTOCOL_CONTEXT = Object.freeze({
  /** A string sliderId, unanchored (the Python full-matches it). */
  idPattern: ID_CHARS,
  maxId: MAX_SAFE_ID,
  rim: RIM,
  speedMax: SPEED_MAX,
  angleMax: ANGLE_MAX,
  /** The largest relay → sink frame (batches included) a sink script must parse. */
  maxText: MAX_BATCH_FRAME_BYTES,
  /** The most messages in one batch frame a sink script accepts. */
  maxBatch: MAX_BATCH_MESSAGES,
  pingText: PING,
  pongText: PONG,
  /** A sink token, unanchored (the Web Server DAT target admits its own sinks). */
  tokenPattern: TOKEN_PATTERN.replace(/^\^/, '').replace(/\$$/, ''),
  /** What a phone may send in one frame (the relay's default --max-payload). */
  maxFrame: MAX_FRAME_BYTES,
  /** The per-connection token bucket the relay applies to phones (its defaults). */
  rate: DEFAULT_RATE,
  burst: DEFAULT_BURST,
  /** Seconds between heartbeat pings to phones (the relay's default --heartbeat); one missed pong and the next tick closes them. */
  heartbeatS: 10,
  /** Seconds between error frames to one connection. */
  errorIntervalS: 1,
  /** The codes an error frame may carry. */
  errorCodes: [...ERROR_CODES],
  /** f32-columns binary batches (columns.ts): magic, version, flag bits, header size, index bound. */
  columnsMagic: COLUMNS_MAGIC,
  columnsVersion: COLUMNS_VERSION,
  columnsFlagSeq: COLUMNS_FLAG_SEQ,
  columnsFlagDt: COLUMNS_FLAG_DT,
  columnsHeaderBytes: COLUMNS_HEADER_BYTES,
  columnsMaxIndex: COLUMNS_MAX_INDEX,
  /** Hues the Web Server DAT target gives phones, as the relay does (src/relay/hue.ts). */
  hueMax: HUE_MAX,
  hueStep: HUE_STEP,
});

/** What the templates see: the options, the header, and the protocol's limits under `protocol`. */
export function renderContext(o: GenerateOptions): Record<string, unknown> {
  const columns = [...o.columns, ...o.extraColumns];
  const callbacks = CALLBACKS[o.target];
  return {
    header: headerLines(o).join('\n'),
    target: o.target,
    table: o.table,
    columns,
    columnsText: columns.join(','),
    slotColumn: columns.indexOf('slot'),
    hueColumn: columns.indexOf('hue'),
    channels: channelNames(o),
    protocol: PROTOCOL_CONTEXT,
    timeout: o.timeout,
    invertY: o.invertY,
    normalize: o.normalize,
    mode: o.mode,
    sinkToken: o.sinkToken ?? null,
    batchHz: o.batchHz ?? null,
    /** --encoding f32-columns: the callbacks ask for binary column batches (templates/partials/columns_*.py.hbs). */
    f32: o.encoding === 'f32-columns',
    encoding: o.encoding,
    tableHz: o.tableHz ?? 0,
    websocketDat: o.websocketDat,
    webserverDat: o.webserverDat,
    oscinDat: o.oscinDat,
    /** The network DAT the callbacks belong to, whatever the target. */
    networkDat: o.target === 'websocket' ? o.websocketDat : o.target === 'webserver' ? o.webserverDat : o.oscinDat,
    networkType: o.target === 'websocket' ? 'websocketDAT' : o.target === 'webserver' ? 'webserverDAT' : 'oscinDAT',
    callbacksDat: o.callbacksDat,
    callbacksFile: callbacks.file,
    executeDat: o.executeDat,
    scriptChop: o.scriptChop,
    chopCallbacksDat: `${o.scriptChop}_callbacks`,
    host: o.host,
    port: o.port,
    pageAssets: o.target === 'webserver' ? pageAssets() : [],
    /** The headers the relay sends with the page (strict CSP and friends). */
    pageHeaders: { ...SECURITY_HEADERS },
  };
}

export function renderScripts(o: GenerateOptions): RenderedScript[] {
  const context = renderContext(o);
  const callbacks = CALLBACKS[o.target];
  const out: RenderedScript[] = [];
  const texts: Record<string, string> = {};
  for (const spec of scriptsFor(o.target)) {
    const file = spec.file;
    const text = template(spec.template)({
      ...context,
      callbacksText: texts[callbacks.file] ?? '',
      executeText: texts['execute.py'] ?? '',
      chopText: texts['script_chop.py'] ?? '',
    });
    texts[file] = text;
    out.push({ file, text });
  }
  return out;
}
