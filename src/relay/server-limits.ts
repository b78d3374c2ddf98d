/**
 * The limits of the relay's HTTP and WebSocket servers, set explicitly rather than left to library defaults
 * that were chosen for other workloads (ws accepts 100 MiB messages in 16 384 fragments by default; Node waits
 * a minute for a request's headers):
 *
 * - HTTP: a request must send its headers within `headersTimeoutMs` and complete within `requestTimeoutMs`, so
 *   half-sent requests cannot hold sockets (and file descriptors) for long; at most `maxConnections` sockets
 *   at once, fewer when the process's open-file limit would not allow that many (past the cap new sockets are
 *   closed at once and counted, instead of `accept` failing with EMFILE for everyone).
 * - WebSocket: the largest message (`maxPayload`), the fragments one message may come in, pongs owed to a peer
 *   that sends pings but does not read, and how long a close handshake may take.
 */
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:http';
import type { Server } from 'node:net';
import type { ServerOptions as WsServerOptions } from 'ws';

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
}

/** A protocol message is at most MAX_FRAME_BYTES (1 KiB): no client needs to split one into more parts. */
export const WS_MAX_FRAGMENTS = 64;
/** Automatic pongs not yet written to a peer that keeps pinging without reading; past it the peer is cut. */
export const WS_MAX_PENDING_PONGS = 16;
/** Socket reads buffered in one connection's frame parser while it waits. */
export const WS_MAX_BUFFERED_CHUNKS = 1024;
/** How long a peer may take to answer a close frame before its socket is destroyed. */
export const WS_CLOSE_TIMEOUT_MS = 5000;
/** File descriptors kept free for the log, the page, DNS and the like when the connection cap follows the fd limit. */
const FD_RESERVE = 64;

export function httpServerOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both timeouts on this interval (default 30 s, which would let a 1 s timeout last 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
  };
}

export function wsServerOptions(maxPayload: number): WsServerOptions {
  return {
    noServer: true,
    maxPayload,
    maxFragments: WS_MAX_FRAGMENTS,
    maxPendingAutoPongs: WS_MAX_PENDING_PONGS,
    maxBufferedChunks: WS_MAX_BUFFERED_CHUNKS,
    closeTimeout: WS_CLOSE_TIMEOUT_MS,
    perMessageDeflate: false,
    clientTracking: false,
  } as WsServerOptions;
}

/** The soft limit on open files (Linux, from /proc), or undefined where it cannot be read. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return undefined;
  return Number(m[1]);
}

/** The connection cap to apply: the one asked for, or less when the open-file limit is lower. */
export function connectionCap(requested: number, fdLimit: number | undefined): { cap: number; fdLimited: boolean } {
  if (fdLimit === undefined || requested <= fdLimit - FD_RESERVE) return { cap: requested, fdLimited: false };
  return { cap: Math.max(16, fdLimit - FD_RESERVE), fdLimited: true };
}

/** Applies the connection cap to `server` and counts the sockets it turned away. */
export class ConnectionCap {
  /** Sockets closed on arrival because the cap was reached. */
  refused = 0;
  readonly cap: number;
  readonly fdLimit: number | undefined;
  readonly fdLimited: boolean;

  constructor(server: Server, requested: number, fdLimit = openFileLimit()) {
    const { cap, fdLimited } = connectionCap(requested, fdLimit);
    this.cap = cap;
    this.fdLimit = fdLimit;
    this.fdLimited = fdLimited;
    this.alsoOn(server);
  }

  /** The same cap on another listener of the relay (--local-port), counted together. */
  alsoOn(server: Server): void {
    server.maxConnections = this.cap;
    server.on('drop', () => this.refused++);
  }

  /** One line for the operator when the fd limit, not the option, sets the cap. */
  notice(requested: number): string | undefined {
    if (!this.fdLimited) return undefined;
    return `tdcrowd relay: the open-file limit (${this.fdLimit}) allows ${this.cap} connections, not ${requested} (raise it with ulimit -n)`;
  }

  metricsText(): string {
    return [
      '# HELP tdcrowd_connections_cap Most sockets (HTTP and WebSocket) the relay holds at once (--max-connections, or less by the open-file limit).',
      '# TYPE tdcrowd_connections_cap gauge',
      `tdcrowd_connections_cap ${this.cap}`,
      '# HELP tdcrowd_connections_refused_total Sockets closed on arrival because the connection cap was reached.',
      '# TYPE tdcrowd_connections_refused_total counter',
      `tdcrowd_connections_refused_total ${this.refused}`,
      '',
    ].join('\n');
  }
}
