/**
 * Relay options: defaults and every check, in one place. Library callers pass typed values to `resolveOptions`;
 * `tdcrowd relay` passes its flags' text to `optionsFromFlags`, which only turns text into numbers and hands over
 * to `resolveOptions`. Messages name the command-line flag, so both kinds of caller can act on them.
 */
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { UserError } from '../common/user-error.js';
import { DEFAULT_BURST, DEFAULT_RATE, isValidBurst, isValidRate, MAX_FRAME_BYTES, MAX_SINK_TOKEN, MIN_SINK_TOKEN } from '../protocol/index.js';
import { AddressBlocks } from './address-blocks.js';
import { compileProxyTrust } from './client-address.js';
import { OSC_DEFAULTS, parseOscTarget, type OscTargetSpec } from './osc-out.js';
import { resolvePageSettings, type PageSettings } from '../web/page-options.js';
import { redisUrlProblem } from './cluster/redis-url.js';

export type RelayMode = 'route' | 'broadcast';

const MIB = 1024 * 1024;
/** Sockets allowed beyond --max-controllers when --max-connections is not given. */
export const CONNECTION_HEADROOM = 1024;

export interface RelayOptions {
  /** 0 = ephemeral (tests). The CLI defaults to 8080 or the PORT env. */
  port: number;
  /** The CLI defaults to 0.0.0.0; the library to loopback, so a test can never expose a port by accident. */
  host: string;
  mode: RelayMode;
  /** WebSocket-level ping interval (presence); a connection that missed one pong is dead at the next tick. */
  heartbeatMs: number;
  /** Bare "ping" text frames (the tutorial relay's keep-alive). */
  textPingMs: number;
  /** Largest inbound frame in bytes; larger frames close the connection with 1009. */
  maxPayload: number;
  /** Per-connection token bucket: messages per second ... */
  rate: number;
  /** ... and how many may arrive at once. */
  burst: number;
  maxControllers: number;
  /**
   * Controllers per client address (README, "Behind a proxy or a NAT"), loopback included; also the most
   * connections one address may have that have not said hello or connect yet (handshakes, silent sockets).
   */
  maxPerAddress: number;
  /** Admitted sinks at once; in broadcast mode, silent listeners at once. */
  maxSinks: number;
  /**
   * Sockets held at once, HTTP and WebSocket (lowered further when the open-file limit is lower). Default:
   * maxControllers + CONNECTION_HEADROOM, room for sinks, page loads and connections still in their handshake.
   */
  maxConnections: number;
  /** An HTTP request (the page, an upgrade) must send its headers within this ... */
  headersTimeoutMs: number;
  /** ... and be complete within this. */
  requestTimeoutMs: number;
  /** `auto` is replaced by a generated token (RelayHandle.sinkToken tells it). */
  sinkToken?: string;
  /** Addresses and CIDR blocks sinks may connect from; default this machine's own (with a token: anywhere). */
  sinkFrom?: string[];
  /** Reverse proxies whose X-Forwarded-For names the client. */
  trustProxy?: string[];
  origins?: string[];
  log?: string;
  /** Append to an existing log (default); false truncates it once the relay has its port. */
  logAppend: boolean;
  /** The log rotates before it would grow past this many bytes (FILE → FILE.1 …); 0 never rotates. */
  logMaxBytes: number;
  /** Rotated log files kept (FILE.1 … FILE.N); the oldest is removed. */
  logKeep: number;
  /** Seconds between the operator's status lines on stdout (0: none; --quiet silences them too). */
  statusIntervalMs: number;
  /** Bytes buffered towards one sink before the relay stops sending per message and coalesces instead. */
  sinkHighWaterBytes: number;
  quiet: boolean;
  /** OSC targets (--osc HOST:PORT, repeatable): each gets every connect, update and delete (osc-out.ts). */
  osc: OscTargetSpec[];
  /** OSC bundles per second per target; 0 = one datagram per message. */
  oscHz: number;
  /** OSC messages per second per target. */
  oscRate: number;
  /** Full re-send of every live user to the OSC targets, ms; 0 = never. */
  oscSnapshotMs: number;
  oscMaxDatagram: number;
  /** The page phones get: title, instructions, accent, logo, or the artist's own (src/web/page-options.ts). */
  page?: PageSettings;
  /** redis:// or rediss:// URL: this relay is one instance of several sharing that Redis (README, "Scale-out with Redis"). */
  redis?: string;
  /** HTTPS/WSS (tls.ts): a PEM certificate file and its key file, both or neither ... */
  tlsCert?: string;
  tlsKey?: string;
  /** ... or a certificate made at start for this machine's names and addresses. */
  tlsSelfSigned: boolean;
  /** With TLS: a plain http/ws listener on 127.0.0.1 too, for TouchDesigner on this machine. */
  localPort?: number;
}

export const DEFAULT_OPTIONS: Readonly<RelayOptions> = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  mode: 'route',
  heartbeatMs: 10_000,
  textPingMs: 25_000,
  maxPayload: MAX_FRAME_BYTES,
  rate: DEFAULT_RATE,
  burst: DEFAULT_BURST,
  maxControllers: 5000,
  // A venue LAN gives each phone its own address; a few per address leaves room for a family on one tablet and
  // a phone's stale socket, and stops one machine from taking every slot.
  maxPerAddress: 8,
  // TouchDesigner, a dashboard, a spare: a relay rarely feeds more, and each sink costs every frame again.
  maxSinks: 4,
  maxConnections: 5000 + 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  sinkHighWaterBytes: 1 << 20,
  quiet: false,
  osc: [],
  oscHz: OSC_DEFAULTS.hz,
  oscRate: OSC_DEFAULTS.rate,
  oscSnapshotMs: OSC_DEFAULTS.snapshotMs,
  oscMaxDatagram: OSC_DEFAULTS.maxDatagram,
  statusIntervalMs: 5000,
  logAppend: true,
  logMaxBytes: 100 * MIB,
  logKeep: 5,
  tlsSelfSigned: false,
});

/** Where `tdcrowd relay` listens when not told: every interface, port $PORT (cloud hosts) or 8080. */
export const CLI_DEFAULTS = Object.freeze({ host: '0.0.0.0', port: 8080 });

/** A bad option value; the CLI prints it and exits 2. */
export class RelayOptionsError extends UserError {
  override name = 'RelayOptionsError';
}

/** Each option as spelt on the command line. */
const FLAG: Record<keyof RelayOptions, string> = {
  port: '--port',
  host: '--host',
  mode: '--mode',
  heartbeatMs: '--heartbeat',
  textPingMs: '--ping-interval',
  maxPayload: '--max-payload',
  rate: '--rate',
  burst: '--burst',
  maxControllers: '--max-controllers',
  maxPerAddress: '--max-per-address',
  maxSinks: '--max-sinks',
  maxConnections: '--max-connections',
  headersTimeoutMs: '--headers-timeout',
  requestTimeoutMs: '--request-timeout',
  sinkToken: '--sink-token',
  sinkFrom: '--sink-from',
  trustProxy: '--trust-proxy',
  origins: '--origin',
  log: '--log',
  logAppend: '--log-truncate',
  logMaxBytes: '--log-max-mb',
  logKeep: '--log-keep',
  sinkHighWaterBytes: '--high-water',
  quiet: '--quiet',
  statusIntervalMs: '--status-interval',
  osc: '--osc',
  oscHz: '--osc-hz',
  oscRate: '--osc-rate',
  oscSnapshotMs: '--osc-snapshot',
  oscMaxDatagram: 'oscMaxDatagram',
  page: '--title/--instructions/--accent/--logo/--static',
  redis: '--redis',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  tlsSelfSigned: '--tls-self-signed',
  localPort: '--local-port',
};

/** Origins as a browser sends them: scheme, host, optional port, nothing else. */
const ORIGIN = /^https?:\/\/[^/\s]+\/?$/i;

function fail(message: string): never {
  throw new RelayOptionsError(message);
}

function int(key: keyof RelayOptions, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) fail(`${FLAG[key]} must be an integer from ${min} to ${max}, got ${value}`);
}

/** A period given in seconds on the command line and kept in ms. */
function period(key: keyof RelayOptions, ms: number, minMs: number, maxMs: number): void {
  if (!Number.isInteger(ms) || ms < minMs || ms > maxMs) fail(`${FLAG[key]} must be from ${minMs / 1000} to ${maxMs / 1000} seconds, got ${ms / 1000}`);
}

export function resolveOptions(partial: Partial<RelayOptions> = {}): RelayOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<RelayOptions>;
  const o: RelayOptions = { ...DEFAULT_OPTIONS, ...defined };
  int('port', o.port, 0, 65535);
  if (typeof o.host !== 'string' || o.host.length === 0) fail('--host must be a host name or address');
  // Dotted numbers that are no IPv4 address would go to DNS as a name: refuse them here, before any traffic.
  if (/^[0-9.]+$/.test(o.host) && !isIPv4(o.host)) fail(`--host ${o.host} is not an IPv4 address (four numbers 0-255)`);
  if (o.mode !== 'route' && o.mode !== 'broadcast') fail(`--mode must be route or broadcast, got ${JSON.stringify(o.mode)}`);
  period('heartbeatMs', o.heartbeatMs, 10, 3_600_000);
  period('textPingMs', o.textPingMs, 10, 3_600_000);
  // Below ~64 bytes not even a connect fits; above 1 MiB a phone frame makes no sense.
  int('maxPayload', o.maxPayload, 64, 1 << 20);
  if (!isValidRate(o.rate)) fail(`--rate must be a number of messages per second above 0, got ${o.rate}`);
  if (!isValidBurst(o.burst)) fail(`--burst must be a number of at least 1, got ${o.burst}`);
  int('maxControllers', o.maxControllers, 1, 1_000_000);
  if (defined.maxConnections === undefined) o.maxConnections = o.maxControllers + CONNECTION_HEADROOM;
  int('maxConnections', o.maxConnections, 16, 10_000_000);
  period('headersTimeoutMs', o.headersTimeoutMs, 100, 600_000);
  period('requestTimeoutMs', o.requestTimeoutMs, 100, 3_600_000);
  if (o.requestTimeoutMs < o.headersTimeoutMs) fail(`--request-timeout (${o.requestTimeoutMs / 1000} s) must be at least --headers-timeout (${o.headersTimeoutMs / 1000} s)`);
  int('sinkHighWaterBytes', o.sinkHighWaterBytes, 1, 1 << 30);
  int('maxPerAddress', o.maxPerAddress, 1, 1_000_000);
  int('maxSinks', o.maxSinks, 1, 10_000);
  if (o.sinkToken === AUTO_TOKEN) o.sinkToken = randomBytes(24).toString('base64url');
  if (o.sinkToken !== undefined && (typeof o.sinkToken !== 'string' || o.sinkToken.length < MIN_SINK_TOKEN || o.sinkToken.length > MAX_SINK_TOKEN)) {
    fail(`--sink-token must be ${MIN_SINK_TOKEN} to ${MAX_SINK_TOKEN} characters (a shorter one can be guessed; --sink-token auto makes one)`);
  }
  o.sinkFrom = addressList('sinkFrom', o.sinkFrom, (list) => AddressBlocks.parse(list));
  o.trustProxy = addressList('trustProxy', o.trustProxy, compileProxyTrust);
  if (o.origins !== undefined) {
    if (!Array.isArray(o.origins) || o.origins.length === 0) fail('--origin needs at least one origin, such as https://show.example.org');
    for (const origin of o.origins) {
      if (typeof origin !== 'string' || !ORIGIN.test(origin.trim())) fail(`--origin must look like https://host[:port], got ${JSON.stringify(origin)}`);
    }
    o.origins = o.origins.map(normalizeOrigin);
  }
  if (o.log !== undefined && (typeof o.log !== 'string' || o.log.length === 0)) fail('--log must be a file path');
  o.logAppend = o.logAppend !== false;
  if (!Number.isInteger(o.logMaxBytes) || o.logMaxBytes < 0 || o.logMaxBytes > 1024 * 1024 * MIB) {
    fail(`--log-max-mb must be from 0 (never rotate) to ${1024 * 1024} MiB, got ${o.logMaxBytes / MIB}`);
  }
  int('logKeep', o.logKeep, 0, 1000);
  o.quiet = Boolean(o.quiet);
  if (!Array.isArray(o.osc) || o.osc.some((t) => typeof t?.host !== 'string' || !Number.isInteger(t.port) || t.port < 1 || t.port > 65535)) {
    fail('--osc must be a list of HOST:PORT targets');
  }
  if (typeof o.oscHz !== 'number' || !Number.isFinite(o.oscHz) || o.oscHz < 0 || o.oscHz > 1000) fail(`--osc-hz must be from 0 to 1000, got ${o.oscHz}`);
  if (typeof o.oscRate !== 'number' || !Number.isFinite(o.oscRate) || o.oscRate <= 0) fail(`--osc-rate must be a number > 0, got ${o.oscRate}`);
  int('oscSnapshotMs', o.oscSnapshotMs, 0, 3_600_000);
  int('oscMaxDatagram', o.oscMaxDatagram, 576, 65_507);
  if (o.page !== undefined) resolvePageSettings(o.page); // throws with the flag's name; the relay loads it again at start
  if (o.redis !== undefined) {
    const problem = typeof o.redis === 'string' ? redisUrlProblem(o.redis) : '--redis must be a redis:// or rediss:// URL';
    if (problem !== undefined) fail(problem);
  }
  checkTls(o);
  const si = o.statusIntervalMs;
  if (si !== 0 && (!Number.isInteger(si) || si < 1000 || si > 3_600_000)) fail(`--status-interval must be 0 (no status lines) or from 1 to 3600 seconds, got ${si / 1000}`);
  return o;
}

/** TLS needs a certificate and its key, or a generated pair, not both; the plain local listener needs TLS. */
function checkTls(o: RelayOptions): void {
  o.tlsSelfSigned = o.tlsSelfSigned === true;
  for (const key of ['tlsCert', 'tlsKey'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) fail(`${FLAG[key]} must be a file path`);
  }
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) fail('--tls-cert and --tls-key go together: the certificate file and its private key file');
  if (o.tlsSelfSigned && o.tlsCert !== undefined) fail('--tls-self-signed makes its own certificate: give it or --tls-cert/--tls-key, not both');
  if (o.localPort === undefined) return;
  int('localPort', o.localPort, 0, 65535);
  if (!o.tlsSelfSigned && o.tlsCert === undefined) {
    fail('--local-port adds a plain listener beside an https one: use it with --tls-cert/--tls-key or --tls-self-signed');
  }
  if (o.localPort !== 0 && o.localPort === o.port) fail(`--local-port must differ from --port (${o.port})`);
}

/** `--sink-token auto`: the relay makes a strong token and prints it. */
export const AUTO_TOKEN = 'auto';

/** A list of addresses and CIDR blocks, checked by the parser that will use it. */
function addressList(key: 'sinkFrom' | 'trustProxy', list: string[] | undefined, check: (list: string[]) => unknown): string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length === 0) fail(`${FLAG[key]} needs at least one address or CIDR block, such as 192.168.1.0/24`);
  const entries = list.map((e) => String(e).trim());
  try {
    check(entries);
  } catch (err) {
    fail(`${FLAG[key]}: ${(err as Error).message} (give addresses or CIDR blocks, such as 192.168.1.0/24)`);
  }
  return entries;
}

/** Origins compare as scheme://host[:port], lower-case, without a trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** `tdcrowd relay`'s flags as commander hands them over: text, or undefined when not given. */
export interface RelayFlags {
  port?: string;
  host?: string;
  mode?: string;
  heartbeat?: string;
  pingInterval?: string;
  maxPayload?: string;
  rate?: string;
  burst?: string;
  maxControllers?: string;
  maxPerAddress?: string;
  maxSinks?: string;
  maxConnections?: string;
  headersTimeout?: string;
  requestTimeout?: string;
  highWater?: string;
  sinkToken?: string;
  sinkFrom?: string[];
  trustProxy?: string[];
  origin?: string[];
  log?: string;
  logTruncate?: boolean;
  logMaxMb?: string;
  logKeep?: string;
  quiet?: boolean;
  osc?: string[];
  oscHz?: string;
  oscRate?: string;
  oscSnapshot?: string;
  statusInterval?: string;
  title?: string;
  instructions?: string;
  accent?: string;
  logo?: string;
  static?: string;
  redis?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: boolean;
  localPort?: string;
}

/** The flags' text as numbers; every range and default is resolveOptions'. */
export function optionsFromFlags(flags: RelayFlags, env: NodeJS.ProcessEnv = process.env): RelayOptions {
  const port = flags.port ?? env.PORT;
  return resolveOptions({
    port: port === undefined ? CLI_DEFAULTS.port : number(flags.port === undefined ? 'PORT' : '--port', port),
    host: flags.host ?? CLI_DEFAULTS.host,
    mode: flags.mode as RelayMode | undefined,
    heartbeatMs: seconds('--heartbeat', flags.heartbeat),
    textPingMs: seconds('--ping-interval', flags.pingInterval),
    maxPayload: number('--max-payload', flags.maxPayload),
    rate: number('--rate', flags.rate),
    burst: number('--burst', flags.burst),
    maxControllers: number('--max-controllers', flags.maxControllers),
    maxPerAddress: number('--max-per-address', flags.maxPerAddress),
    maxSinks: number('--max-sinks', flags.maxSinks),
    maxConnections: number('--max-connections', flags.maxConnections),
    headersTimeoutMs: seconds('--headers-timeout', flags.headersTimeout),
    requestTimeoutMs: seconds('--request-timeout', flags.requestTimeout),
    sinkHighWaterBytes: number('--high-water', flags.highWater),
    sinkToken: flags.sinkToken,
    sinkFrom: list(flags.sinkFrom),
    trustProxy: list(flags.trustProxy),
    // Repeatable and comma-separated.
    origins: flags.origin?.flatMap((o) => o.split(',')).map((o) => o.trim()).filter((o) => o.length > 0),
    log: flags.log,
    logAppend: flags.logTruncate !== true,
    logMaxBytes: mebibytes('--log-max-mb', flags.logMaxMb),
    logKeep: number('--log-keep', flags.logKeep),
    quiet: flags.quiet === true,
    osc: list(flags.osc)?.map(oscTarget),
    oscHz: number('--osc-hz', flags.oscHz),
    oscRate: number('--osc-rate', flags.oscRate),
    oscSnapshotMs: seconds('--osc-snapshot', flags.oscSnapshot),
    statusIntervalMs: seconds('--status-interval', flags.statusInterval),
    page: { title: flags.title, instructions: flags.instructions, accent: flags.accent, logo: flags.logo, staticDir: flags.static },
    redis: flags.redis,
    tlsCert: flags.tlsCert,
    tlsKey: flags.tlsKey,
    tlsSelfSigned: flags.tlsSelfSigned === true,
    localPort: number('--local-port', flags.localPort),
  });
}

function oscTarget(text: string): OscTargetSpec {
  try {
    return parseOscTarget(text);
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Repeatable and comma-separated. */
function list(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n)) fail(`${flag} must be a number, got ${JSON.stringify(text)}`);
  return n;
}

function mebibytes(flag: string, text: string | undefined): number | undefined {
  const n = number(flag, text);
  if (n === undefined) return undefined;
  if (n < 0) fail(`${flag} must be 0 (never rotate) or more, got ${text}`);
  return Math.round(n * MIB);
}

function seconds(flag: string, text: string | undefined): number | undefined {
  const s = number(flag, text);
  return s === undefined ? undefined : Math.round(s * 1000);
}
