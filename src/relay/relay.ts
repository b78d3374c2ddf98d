/**
 * Wiring: an http server (page, /healthz, /metrics) whose upgrades go to a `ws` server, one Connection per
 * client, the dispatcher for frames, presence timers, and an orderly close.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { UserError } from '../common/user-error.js';
import { describeFsError } from '../common/writable.js';
import { CLOSE } from '../protocol/index.js';
import { VERSION } from '../version.js';
import { accessWarnings } from './access-warnings.js';
import type { InterfaceList } from './address-blocks.js';
import { renderBanner } from './banner.js';
import { clientAddress, compileProxyTrust, type ClientAddress } from './client-address.js';
import { ClientRegistry } from './clients.js';
import { LocalCluster, openCluster, type Cluster } from './cluster/index.js';
import { remoteToOsc } from './cluster/remote-osc.js';
import { Connection } from './connection.js';
import { Dispatcher, type RelayState } from './dispatch.js';
import { createRequestHandler, refuseUpgrade, type HttpRoutes } from './http-routes.js';
import { HueBook, type HueSource } from './hue.js';
import { Identity } from './identity.js';
import { LogWriter } from './log-writer.js';
import { RelayMetrics, renderPrometheus, type RelayMetricsSnapshot } from './metrics.js';
import { normalizeOrigin, RelayOptionsError, resolveOptions, type RelayOptions } from './options.js';
import { renderProcessMetrics, startProcessMetrics } from './process-metrics.js';
import { OscOut } from './osc-out.js';
import { Presence } from './presence.js';
import { Listening } from './listening.js';
import { OperatorLog } from './operator-log.js';
import { Router } from './router.js';
import { SinkGate } from './sink-gate.js';
import type { Lease, WorkerHooks } from './workers/hooks.js';
import { tlsFor, type TlsMaterial } from './tls.js';

/** What the relay reads from the machine; tests inject their own. */
export interface RelayEnvironment {
  /** This machine's interfaces, for "sinks only from this machine" (default os.networkInterfaces). */
  networkInterfaces?: () => InterfaceList;
  /** This relay is one worker of `relay --workers N` (src/relay/workers/). */
  worker?: WorkerHooks;
  /** Where phones' hues come from (default: a counter in this process; a cluster shares one, hue.ts). */
  hues?: HueSource;
}
import { ConnectionCap, httpServerOptions, wsServerOptions } from './server-limits.js';
import { createPageHandler, describePage } from '../web/index.js';

export interface RelayHandle {
  readonly port: number;
  /** The token sinks need, if any (the generated one with `sinkToken: 'auto'`). */
  readonly sinkToken: string | undefined;
  /** ws://HOST:PORT, or wss:// with TLS (host as bound; 127.0.0.1 when bound to every interface). */
  readonly url: string;
  /** http:// or https://, as `url`. */
  readonly httpUrl: string;
  /** With --local-port: the plain listener on 127.0.0.1 (ws://127.0.0.1:PORT), for TouchDesigner on this machine. */
  readonly localUrl: string | undefined;
  /** With TLS: the certificate served (PEM) and its SHA-256 fingerprint. */
  readonly tls: Pick<TlsMaterial, 'cert' | 'fingerprint256' | 'selfSigned'> | undefined;
  metrics(): RelayMetricsSnapshot;
  /** Closes clients with 1001, stops listening, flushes the log. */
  close(): Promise<void>;
}

/** The relay cannot start here: the port is taken or not allowed, or the log cannot be written. */
export class RelayStartError extends UserError {
  override name = 'RelayStartError';

  constructor(
    message: string,
    /** The system error code, e.g. EADDRINUSE. */
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
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

/** Why the relay cannot listen, in words the operator can act on; other errors are bugs and pass through. */
function listenError(host: string, port: number, err: NodeJS.ErrnoException): Error {
  const why: Record<string, string> = {
    EADDRINUSE: `port ${port} is in use (try --port)`,
    EACCES: `not allowed to listen on port ${port} (ports below 1024 need privileges; try --port)`,
    EADDRNOTAVAIL: `--host ${host} is not an address of this machine (EADDRNOTAVAIL)`,
    ENOTFOUND: `--host ${host} is not an address or a known host name`,
    EAI_NONAME: `--host ${host} is not an address or a known host name`,
    EAI_AGAIN: `--host ${host} could not be looked up (EAI_AGAIN)`,
    EAI_FAIL: `--host ${host} could not be looked up (EAI_FAIL)`,
    EINVAL: `cannot listen on ${host}:${port} (EINVAL)`,
    EAFNOSUPPORT: `cannot listen on ${host}: this machine has no such address family (EAFNOSUPPORT)`,
  };
  const message = err.code === undefined ? undefined : why[err.code];
  return message === undefined ? err : new RelayStartError(message, err.code, { cause: err });
}

/** The log could not be checked or opened: a start error that names the file and says what is wrong. */
function logError(path: string, err: NodeJS.ErrnoException): RelayStartError {
  return new RelayStartError(`cannot write the log ${path}: ${describeFsError(err)}`, err.code, { cause: err });
}

/** Why /healthz says degraded when nothing receives the phones' updates. */
function noReceiverReason(mode: RelayOptions['mode'], sinkToken: boolean): string {
  const nobody = mode === 'route' || sinkToken ? 'no sink connected' : 'no listener connected';
  return `${nobody}: phone updates reach no one (counted as dropped, reason no_sink)`;
}

/** Where --local-port listens: this machine only. */
const LOCAL_HOST = '127.0.0.1';

function localHost(host: string): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

export async function startRelay(partial: Partial<RelayOptions> = {}, env: RelayEnvironment = {}): Promise<RelayHandle> {
  const options = resolveOptions(partial);
  // Certificate problems are usage errors, found before a log is touched or a port bound.
  const tls = await tlsFor(options);
  const log =
    options.log === undefined
      ? undefined
      : new LogWriter({ path: options.log, append: options.logAppend, maxBytes: options.logMaxBytes, keep: options.logKeep });
  // Checked before the port is bound, opened after: a relay that cannot start never creates or truncates a log.
  const lastConn = (await log?.prepare().catch((err: NodeJS.ErrnoException) => {
    throw logError(options.log!, err);
  })) ?? 0;
  // relay --redis: Redis is reached before anything listens, so "unreachable" is a start error (exit 2).
  const cluster: Cluster = options.redis === undefined ? new LocalCluster() : await openCluster(options.redis, options.heartbeatMs);
  const metrics = new RelayMetrics();
  startProcessMetrics();
  const worker = env.worker;
  const clients = new ClientRegistry(options, worker?.leases);
  const trust = compileProxyTrust(options.trustProxy);
  const queueContext = { metrics, highWaterBytes: options.sinkHighWaterBytes };
  const identity = new Identity<Connection>(new HueBook(env.hues), options.mode === 'route');
  // Opened before anything listens: an unresolvable host is a usage error, and the targets count as sinks.
  const osc =
    options.osc.length === 0
      ? undefined
      : await OscOut.open(
          { targets: options.osc, hz: options.oscHz, rate: options.oscRate, maxDatagram: options.oscMaxDatagram, snapshotMs: options.oscSnapshotMs },
          metrics,
          identity,
        ).catch((err: Error) => {
          throw new RelayOptionsError(err.message);
        });
  const oscTargets = osc?.size ?? 0;
  const listening = new Listening(clients, options.mode, options.sinkToken !== undefined, oscTargets, () => cluster.sinksElsewhere());
  const state: RelayState = {
    options,
    metrics,
    log,
    identity,
    router: new Router(options.mode, clients, queueContext, options.sinkToken !== undefined, oscTargets, cluster.shared ? cluster : undefined),
    queueContext,
    clients,
    osc,
    sinkGate: new SinkGate({
      sinkToken: options.sinkToken,
      sinkFrom: options.sinkFrom,
      broadcast: options.mode === 'broadcast',
      interfaces: env.networkInterfaces ?? networkInterfaces,
    }),
    listening,
    cluster,
    closing: false,
  };
  const dispatcher = new Dispatcher(state);
  const presence = new Presence(
    clients,
    options.heartbeatMs,
    options.textPingMs,
    options.mode === 'route' ? () => metrics.unidentifiedClosed++ : undefined,
  );
  const startedAt = Date.now();
  let nextConnId = lastConn + 1;

  const operator = options.quiet
    ? undefined
    : new OperatorLog(worker?.write ?? ((line) => process.stdout.write(line)), options.statusIntervalMs, () => ({
        connections: clients.counts(),
        receivers: listening.receivers(),
        messagesIn: metrics.messagesIn,
        messagesOut: metrics.messagesOut,
        dropped: metrics.dropped,
      }));
  clients.onSinkChange = (conn, joined) => {
    listening.changed();
    cluster.localSinksChanged(listening.localReceivers());
    // After the hello has been handled, so the line can say whether the sink asked for batches.
    if (operator !== undefined) queueMicrotask(() => operator.sinkChanged(conn, joined, conn.out?.batchHz));
  };

  const clusterHealth = (): Record<string, unknown> => {
    const c = cluster.status(state.identity.active);
    return { instance: cluster.instanceId, redis: c.redisUp ? 'up' : 'unreachable', instances: c.instances, users: c.users, sinksElsewhere: c.sinksElsewhere };
  };

  const snapshot = (): RelayMetricsSnapshot => ({
    connections: clients.counts(),
    messagesIn: metrics.messagesIn,
    messagesOut: metrics.messagesOut,
    dropped: { ...metrics.dropped },
    users: state.identity.active,
  });

  // The page is read now, not per request: serving it must not need a file descriptor (web/assets.ts).
  const page = createPageHandler(options.page ?? {});
  // A worker answers for the whole machine (workers/), asking the others through the primary.
  const routes = (own: HttpRoutes): ReturnType<typeof createRequestHandler> => createRequestHandler(worker?.routes(own) ?? own);
  const handleRequest = routes({
      page,
      healthz: () => {
        const m = snapshot();
        // 200 while the process is alive; `status` says whether the show can work, and why not.
        const degraded = listening.now ? undefined : noReceiverReason(options.mode, options.sinkToken !== undefined);
        return {
          ok: !state.closing,
          status: degraded === undefined ? 'ok' : 'degraded',
          ...(degraded === undefined ? {} : { why: degraded }),
          version: VERSION,
          mode: options.mode,
          uptimeS: Math.round((Date.now() - startedAt) / 1000),
          connections: m.connections,
          users: m.users,
          ...(cluster.shared ? { cluster: clusterHealth() } : {}),
          // every place the users go: WebSocket sinks and OSC targets (an OSC target counts as a sink)
          sinks: { websocket: clients.sinks.size, osc: oscTargets },
        };
      },
      metrics: async () => {
        const m = snapshot();
        let queued = 0;
        for (const s of clients.sinks) queued = Math.max(queued, s.out?.size ?? 0);
        const gauges = { connections: m.connections, users: m.users, uptimeS: (Date.now() - startedAt) / 1000, sinkQueueUsers: queued };
        return (
          renderPrometheus(metrics, gauges) +
          (await renderProcessMetrics()) +
          cap.metricsText() +
          (log?.metricsText() ?? '') +
          cluster.metricsText(state.identity.active)
        );
      },
    });
  const server: Server | HttpsServer =
    tls === undefined
      ? createServer(httpServerOptions(options), handleRequest)
      : // A TLS handshake must finish as soon as a request's headers must (Node's default waits two minutes).
        createHttpsServer({ ...httpServerOptions(options), cert: tls.cert, key: tls.key, handshakeTimeout: options.headersTimeoutMs }, handleRequest);
  // --local-port: the same page, sinks and phones over plain http/ws, reachable from this machine only.
  const local: Server | undefined = options.localPort === undefined ? undefined : createServer(httpServerOptions(options), handleRequest);
  const servers = local === undefined ? [server] : [server, local];

  const cap: ConnectionCap = new ConnectionCap(server, options.maxConnections);
  if (local !== undefined) cap.alsoOn(local);
  const wss = new WebSocketServer(wsServerOptions(options.maxPayload));
  const allowed = options.origins === undefined ? undefined : new Set(options.origins);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (state.closing) {
      socket.destroy();
      return;
    }
    // Browsers always send Origin; TouchDesigner and other native clients do not, and are not the threat.
    const origin = req.headers.origin;
    if (allowed !== undefined && origin !== undefined && !allowed.has(normalizeOrigin(origin))) {
      metrics.drop('origin');
      refuseUpgrade(socket, 403, 'origin not allowed');
      return;
    }
    const address = clientAddress(req, trust);
    if (worker === undefined) {
      upgrade(req, socket, head, address, undefined);
      return;
    }
    // The address's places are counted for the whole machine by the primary, which answers before the upgrade.
    void worker.leases.acquire(address.key).then((lease) => {
      if (lease !== undefined && (state.closing || socket.destroyed)) {
        worker.leases.abandon(lease);
        socket.destroy();
      } else if (lease === undefined) refuseHandshake(socket, address);
      else upgrade(req, socket, head, address, lease);
    });
  };
  for (const s of servers) s.on('upgrade', onUpgrade);

  function refuseHandshake(socket: Duplex, address: ClientAddress): void {
    metrics.handshakesRefused++;
    refuseUpgrade(socket, 429, `too many connections from ${address.ip} that have not said hello or connect yet`);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, address: ClientAddress, lease: Lease | undefined): void {
    if (!clients.startHandshake(address.key)) {
      if (lease !== undefined) worker?.leases.abandon(lease);
      refuseHandshake(socket, address);
      return;
    }
    // Counted until it becomes a connection, or its socket closes first.
    let settled = false;
    const failed = (): void => {
      if (settled) return;
      settled = true;
      clients.handshakeFailed(address.key);
      if (lease !== undefined) worker?.leases.abandon(lease);
    };
    socket.once('close', failed);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (settled) {
        ws.terminate();
        return;
      }
      settled = true;
      socket.off('close', failed);
      accept(ws, address, lease);
    });
  }

  function accept(ws: WebSocket, address: ClientAddress, lease: Lease | undefined): void {
    const conn = new Connection(nextConnId++, ws, address, { metrics, log }, options.rate, options.burst, performance.now());
    if (lease !== undefined) worker?.leases.bind(conn, lease);
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
      operator?.noteClose(conn, conn.closedWith ?? code);
      dispatcher.onClose(conn);
      log?.connectionClosed(conn.id);
    });
  }

  const listenOn = (s: Server | HttpsServer, port: number, host: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve();
      });
    });
  await listenOn(server, options.port, options.host).catch(async (err: NodeJS.ErrnoException) => {
    osc?.close();
    await log?.close();
    await cluster.close();
    throw listenError(options.host, options.port, err);
  });
  if (local !== undefined) {
    await listenOn(local, options.localPort!, LOCAL_HOST).catch(async (err: NodeJS.ErrnoException) => {
      osc?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log?.close();
      const e = listenError(LOCAL_HOST, options.localPort!, err);
      throw e instanceof RelayStartError ? new RelayStartError(`--local-port: ${e.message.replace('(try --port)', '(try another --local-port)')}`, e.code, { cause: err }) : e;
    });
  }
  try {
    await log?.open();
  } catch (err) {
    osc?.close();
    await cluster.close();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    throw logError(options.log!, err as NodeJS.ErrnoException);
  }
  // Later server errors (e.g. EMFILE on accept) must not crash the process.
  for (const s of servers) s.on('error', (err) => process.stderr.write(`tdcrowd relay: ${err.message}\n`));
  presence.start();
  operator?.start();
  cluster.attach({
    deliver: (key, kind, text) => {
      state.router.deliver(undefined, key, kind, text, -1, true);
      if (state.osc !== undefined) remoteToOsc(state.osc, key, kind, text);
    },
    holds: (key) => state.identity.get(key) !== undefined,
    localUsers: () => state.identity.values(),
    takenAway: (key) => dispatcher.takenAway(key),
    sinksChanged: () => listening.changed(),
  });
  cluster.localSinksChanged(listening.localReceivers());
  const capNotice = cap.notice(options.maxConnections);
  if (capNotice !== undefined) process.stderr.write(`${capNotice}\n`);

  const port = (server.address() as AddressInfo).port;
  const localPort = local === undefined ? undefined : (local.address() as AddressInfo).port;
  const host = localHost(options.host);
  // A worker's banner is the primary's (one for the machine).
  if (!options.quiet && worker === undefined) {
    process.stdout.write(
      await renderBanner({
        host: options.host,
        port,
        mode: options.mode,
        version: VERSION,
        sinkToken: options.sinkToken !== undefined,
        log: options.log,
        tty: process.stdout.isTTY === true,
        osc: osc?.labels,
        page: describePage(options.page),
        tls,
        localPort,
      }),
    );
    for (const warning of accessWarnings(options)) process.stdout.write(`warning: ${warning}\n`);
    if (cluster.banner !== undefined) process.stdout.write(`${cluster.banner}\n`);
  }

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      state.closing = true;
      presence.stop();
      operator?.stop();
      listening.stop();
      for (const c of clients.all) {
        c.out?.close();
        c.close(CLOSE.goingAway, 'relay shutting down');
      }
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of clients.all) c.ws.terminate();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      wss.close();
      state.osc?.close();
      await cluster.close();
      await log?.close();
    })();
    return closed;
  };

  return {
    port,
    url: `${tls === undefined ? 'ws' : 'wss'}://${host}:${port}`,
    httpUrl: `${tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    localUrl: localPort === undefined ? undefined : `ws://${LOCAL_HOST}:${localPort}`,
    tls: tls === undefined ? undefined : { cert: tls.cert, fingerprint256: tls.fingerprint256, selfSigned: tls.selfSigned },
    sinkToken: options.sinkToken,
    metrics: snapshot,
    close,
  };
}
