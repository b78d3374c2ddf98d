/**
 * Wiring: an http server (page, /healthz, /metrics) whose upgrades go to a `ws` server, one Connection per
 * client, the dispatcher for frames, presence timers, and an orderly close.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { VERSION } from '../version.js';
import { renderBanner } from './banner.js';
import { Connection } from './connection.js';
import { CLOSE, Dispatcher, type RelayState } from './dispatch.js';
import { createRequestHandler } from './http-routes.js';
import { Identity } from './identity.js';
import { LogWriter } from './log-writer.js';
import { RelayMetrics, renderPrometheus, type RelayMetricsSnapshot } from './metrics.js';
import { normalizeOrigin, RelayOptionsError, resolveOptions, type RelayOptions } from './options.js';
import { renderProcessMetrics, startProcessMetrics } from './process-metrics.js';
import { OscOut } from './osc-out.js';
import { Presence } from './presence.js';
import { Router } from './router.js';

export interface RelayHandle {
  readonly port: number;
  /** ws://HOST:PORT (host as bound; 127.0.0.1 when bound to every interface). */
  readonly url: string;
  readonly httpUrl: string;
  metrics(): RelayMetricsSnapshot;
  /** Closes clients with 1001, stops listening, flushes the log. */
  close(): Promise<void>;
}

/** How long close() waits for clients to answer the close frame before cutting them. */
const CLOSE_GRACE_MS = 2000;

/** Close codes `ws` sends when it refuses a frame itself (ws/lib/receiver.js); every other WS_ERR_ is 1002. */
const WS_ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

/** The code `ws` closed a connection with after refusing a frame (it keeps it on a private symbol). */
function protocolCloseCode(err: Error & { code?: string }): number | undefined {
  const code = err.code ?? '';
  if (!code.startsWith('WS_ERR_')) return undefined;
  return WS_ERROR_CLOSE_CODES[code] ?? 1002;
}

function localHost(host: string): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

export async function startRelay(partial: Partial<RelayOptions> = {}): Promise<RelayHandle> {
  const options = resolveOptions(partial);
  const log = options.log === undefined ? undefined : await LogWriter.open(options.log);
  const metrics = new RelayMetrics();
  startProcessMetrics();
  const clients = new Set<Connection>();
  const sinks = new Set<Connection>();
  const controllers = new Set<Connection>();
  const queueContext = { metrics, highWaterBytes: options.sinkHighWaterBytes };
  const state: RelayState = {
    options,
    metrics,
    log,
    identity: new Identity(),
    router: new Router(options.mode, clients, sinks, queueContext, options.sinkToken !== undefined),
    queueContext,
    clients,
    controllers,
    sinks,
    osc: undefined,
    closing: false,
  };
  if (options.osc.length > 0) {
    const oscOptions = { targets: options.osc, hz: options.oscHz, rate: options.oscRate, maxDatagram: options.oscMaxDatagram, snapshotMs: options.oscSnapshotMs };
    state.osc = await OscOut.open(oscOptions, metrics, state.identity).catch((err: Error) => {
      throw new RelayOptionsError(err.message); // an unresolvable host is a usage error
    });
  }
  const dispatcher = new Dispatcher(state);
  const presence = new Presence(
    clients,
    options.heartbeatMs,
    options.textPingMs,
    options.mode === 'route' ? () => metrics.unidentifiedClosed++ : undefined,
  );
  const startedAt = Date.now();
  let nextConnId = 1;

  const snapshot = (): RelayMetricsSnapshot => ({
    connections: {
      controller: controllers.size,
      sink: sinks.size,
      unknown: clients.size - controllers.size - sinks.size,
    },
    messagesIn: metrics.messagesIn,
    messagesOut: metrics.messagesOut,
    dropped: { ...metrics.dropped },
    users: state.identity.active,
  });

  const server = createServer(
    createRequestHandler({
      healthz: () => {
        const m = snapshot();
        return {
          ok: !state.closing,
          version: VERSION,
          mode: options.mode,
          uptimeS: Math.round((Date.now() - startedAt) / 1000),
          connections: m.connections,
          users: m.users,
          // every place the users go: WebSocket sinks and OSC targets (an OSC target counts as a sink)
          sinks: { websocket: sinks.size, osc: state.osc?.size ?? 0 },
        };
      },
      metrics: async () => {
        const m = snapshot();
        let queued = 0;
        for (const s of sinks) queued = Math.max(queued, s.out?.size ?? 0);
        return (
          renderPrometheus(metrics, { connections: m.connections, users: m.users, uptimeS: (Date.now() - startedAt) / 1000 }) +
          '# HELP tdcrowd_sink_queue_users Users with frames waiting in the fullest sink queue (bounded by users).\n' +
          '# TYPE tdcrowd_sink_queue_users gauge\n' +
          `tdcrowd_sink_queue_users ${queued}\n` +
          (await renderProcessMetrics())
        );
      },
    }),
  );

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const allowed = options.origins === undefined ? undefined : new Set(options.origins);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (state.closing) {
      socket.destroy();
      return;
    }
    // Browsers always send Origin; TouchDesigner and other native clients do not, and are not the threat.
    const origin = req.headers.origin;
    if (allowed !== undefined && origin !== undefined && !allowed.has(normalizeOrigin(origin))) {
      metrics.drop('origin');
      const body = 'origin not allowed\n';
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  function accept(ws: WebSocket): void {
    const conn = new Connection(nextConnId++, ws, { metrics, log }, options.rate, options.burst, performance.now());
    clients.add(conn);
    metrics.connectionsOpened++;
    ws.on('message', (data, isBinary) => {
      try {
        dispatcher.onFrame(conn, data as Buffer, isBinary);
      } catch (err) {
        // A bug must cost one frame, not the relay.
        process.stderr.write(`tdcrowd relay: internal error on a frame: ${(err as Error).stack ?? String(err)}\n`);
      }
    });
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (err) => {
      conn.closedWith ??= protocolCloseCode(err);
      dispatcher.onSocketError(conn, err);
    });
    ws.on('close', (code) => {
      // The code the relay closed with, if it closed; else the peer's (1005 none given, 1006 cut without one).
      metrics.closed(conn.role, conn.closedWith ?? code);
      dispatcher.onClose(conn);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Later server errors (e.g. EMFILE on accept) must not crash the process.
  server.on('error', (err) => process.stderr.write(`tdcrowd relay: ${err.message}\n`));
  presence.start();

  const port = (server.address() as AddressInfo).port;
  const host = localHost(options.host);
  if (!options.quiet) {
    process.stdout.write(
      await renderBanner({
        host: options.host,
        port,
        mode: options.mode,
        version: VERSION,
        sinkToken: options.sinkToken !== undefined,
        log: options.log,
        osc: state.osc?.labels,
      }),
    );
  }

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      state.closing = true;
      presence.stop();
      for (const c of clients) {
        c.out?.close();
        c.close(CLOSE.goingAway, 'relay shutting down');
      }
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of clients) c.ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      wss.close();
      state.osc?.close();
      await log?.close();
    })();
    return closed;
  };

  return {
    port,
    url: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    metrics: snapshot,
    close,
  };
}
