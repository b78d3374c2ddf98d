/**
 * Relay options: defaults and validation. Everything that reaches the relay passes through `resolveOptions`,
 * so the CLI and library callers get the same clear errors for bad values.
 */
import { MAX_FRAME_BYTES } from '../protocol/index.js';
import { OSC_DEFAULTS, type OscTargetSpec } from './osc-out.js';

export type RelayMode = 'route' | 'broadcast';

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
  sinkToken?: string;
  origins?: string[];
  log?: string;
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
}

export const DEFAULT_OPTIONS: Readonly<RelayOptions> = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  mode: 'route',
  heartbeatMs: 10_000,
  textPingMs: 25_000,
  maxPayload: MAX_FRAME_BYTES,
  rate: 120,
  burst: 240,
  maxControllers: 5000,
  sinkHighWaterBytes: 1 << 20,
  quiet: false,
  osc: [],
  oscHz: OSC_DEFAULTS.hz,
  oscRate: OSC_DEFAULTS.rate,
  oscSnapshotMs: OSC_DEFAULTS.snapshotMs,
  oscMaxDatagram: OSC_DEFAULTS.maxDatagram,
});

/** A bad option value; the CLI turns it into a usage error (exit 2). */
export class RelayOptionsError extends Error {
  override name = 'RelayOptionsError';
}

function fail(message: string): never {
  throw new RelayOptionsError(message);
}

function int(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) fail(`${name} must be an integer from ${min} to ${max}, got ${value}`);
}

function positive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, got ${value}`);
}

export function resolveOptions(partial: Partial<RelayOptions> = {}): RelayOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<RelayOptions>;
  const o: RelayOptions = { ...DEFAULT_OPTIONS, ...defined };
  int('port', o.port, 0, 65535);
  if (typeof o.host !== 'string' || o.host.length === 0) fail('host must be a host name or address');
  if (o.mode !== 'route' && o.mode !== 'broadcast') fail(`mode must be "route" or "broadcast", got ${JSON.stringify(o.mode)}`);
  int('heartbeatMs', o.heartbeatMs, 10, 3_600_000);
  int('textPingMs', o.textPingMs, 10, 3_600_000);
  // Below ~64 bytes not even a connect fits; above 1 MiB a phone frame makes no sense.
  int('maxPayload', o.maxPayload, 64, 1 << 20);
  positive('rate', o.rate);
  positive('burst', o.burst);
  if (o.burst < 1) fail(`burst must be at least 1, got ${o.burst}`);
  int('maxControllers', o.maxControllers, 1, 1_000_000);
  int('sinkHighWaterBytes', o.sinkHighWaterBytes, 1, 1 << 30);
  if (o.sinkToken !== undefined && (typeof o.sinkToken !== 'string' || o.sinkToken.length === 0 || o.sinkToken.length > 256)) {
    fail('sinkToken must be a string of 1 to 256 characters');
  }
  if (o.origins !== undefined) {
    if (!Array.isArray(o.origins) || o.origins.some((x) => typeof x !== 'string' || x.length === 0)) {
      fail('origins must be a list of origins such as https://example.org');
    }
    o.origins = o.origins.map(normalizeOrigin);
  }
  if (o.log !== undefined && (typeof o.log !== 'string' || o.log.length === 0)) fail('log must be a file path');
  if (!Array.isArray(o.osc) || o.osc.some((t) => typeof t?.host !== 'string' || !Number.isInteger(t.port) || t.port < 1 || t.port > 65535)) {
    fail('osc must be a list of {host, port} targets');
  }
  if (typeof o.oscHz !== 'number' || !Number.isFinite(o.oscHz) || o.oscHz < 0 || o.oscHz > 1000) fail(`oscHz must be from 0 to 1000, got ${o.oscHz}`);
  positive('oscRate', o.oscRate);
  int('oscSnapshotMs', o.oscSnapshotMs, 0, 3_600_000);
  int('oscMaxDatagram', o.oscMaxDatagram, 576, 65_507);
  o.quiet = Boolean(o.quiet);
  return o;
}

/** Origins compare as scheme://host[:port], lower-case, without a trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
