/**
 * A minimal relay for tests that must not depend on src/relay: forwards controller frames to connections that
 * said hello (route) or to every other client (broadcast, the tutorial relay), and tells sinks
 * `{"type":"delete","reason":"closed"}` when a controller's socket closes. `dropDeletes` makes it lose every
 * delete, to prove the simulator detects ghosts.
 */
import { WebSocketServer, type WebSocket } from 'ws';

export interface ForwarderOptions {
  mode?: 'route' | 'broadcast';
  dropDeletes?: boolean;
  /** Forward each controller update twice (to prove duplicates are counted). */
  duplicate?: boolean;
  /** Hold every other update of each sender and forward it after the next one (to prove reordering is seen). */
  swapPairs?: boolean;
  /** Refuse the WebSocket upgrade (503) once this many connections were accepted (a server that is full). */
  maxConnections?: number;
}

export interface Forwarder {
  url: string;
  framesIn: number;
  /** Every text frame received from clients that did not say hello, with its arrival time (performance.now()). */
  controllerFrames: { text: string; at: number }[];
  /** Arrival time of each connection. */
  connectionTimes: number[];
  close(): Promise<void>;
}

export async function startForwarder(opts: ForwarderOptions = {}): Promise<Forwarder> {
  const mode = opts.mode ?? 'route';
  let accepted = 0;
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (_info, done) => {
      if (opts.maxConnections !== undefined && accepted >= opts.maxConnections) return done(false, 503, 'full');
      accepted++;
      done(true);
    },
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sinks = new Set<WebSocket>();
  const ids = new Map<WebSocket, unknown>();
  const held = new Map<WebSocket, string>();
  const state = { framesIn: 0 };
  const controllerFrames: { text: string; at: number }[] = [];
  const connectionTimes: number[] = [];

  const toSinks = (text: string, from: WebSocket): void => {
    const targets = mode === 'broadcast' ? wss.clients : sinks;
    for (const c of targets) if (c !== from && c.readyState === c.OPEN) c.send(text);
  };

  wss.on('connection', (ws) => {
    connectionTimes.push(performance.now());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      state.framesIn++;
      if (isBinary) return;
      const text = data.toString('utf8');
      if (!sinks.has(ws) && !text.includes('"hello"')) controllerFrames.push({ text, at: performance.now() });
      if (text === 'pong' || text === 'ping') return;
      let msg: { type?: string; sliderId?: unknown };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'hello' && mode === 'route') {
        sinks.add(ws);
        return;
      }
      if (msg.sliderId !== undefined && !ids.has(ws)) ids.set(ws, msg.sliderId);
      if (msg.type === 'delete' && opts.dropDeletes) return;
      if (mode === 'route' && msg.type === 'delete') {
        toSinks(JSON.stringify({ type: 'delete', sliderId: msg.sliderId, reason: 'client' }), ws);
        return;
      }
      const isUpdate = msg.type === undefined || msg.type === 'update';
      if (opts.swapPairs && isUpdate) {
        const prev = held.get(ws);
        if (prev === undefined) {
          held.set(ws, text);
          return;
        }
        held.delete(ws);
        toSinks(text, ws);
        toSinks(prev, ws);
        return;
      }
      toSinks(text, ws);
      if (opts.duplicate && isUpdate) toSinks(text, ws);
    });
    ws.on('close', () => {
      sinks.delete(ws);
      const id = ids.get(ws);
      ids.delete(ws);
      if (id !== undefined && mode === 'route' && !opts.dropDeletes) {
        toSinks(JSON.stringify({ type: 'delete', sliderId: id, reason: 'closed' }), ws);
      }
    });
  });

  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    get framesIn() {
      return state.framesIn;
    },
    controllerFrames,
    connectionTimes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
