/**
 * Plays the Web Server DAT's network side for the emulated --target webserver scripts: a real HTTP server with
 * WebSockets on one port, so a browser drives the joystick page against the generated Python. Every HTTP request
 * is answered by the scripts' onHTTPRequest (the emulator answers at once); WebSocket opens, frames, pongs and
 * closes go to the emulator as the DAT's events, delivered at its next frame; what the scripts send
 * (webSocketSendText/Ping/Pong, webSocketClose) comes back as events and goes out on the right socket. `client`
 * is the socket's remote address and port, as TouchDesigner names connections. A timer drives emulated frames at
 * real time, so the heartbeat and pruning run as in TouchDesigner.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { renderScripts, type GenerateOptions } from '../generate/index.js';
import { FrameDriver } from './frame-driver.js';
import { EmulatorProcess, type EmulatorEvent, type EmulatorState } from './process.js';

export interface ServerBridgeOptions {
  /** Options with target 'webserver'. */
  options: GenerateOptions;
  host?: string;
  /** Port to listen on; 0 for an ephemeral one (tests). Default: the options' port (the DAT's Port). */
  port?: number;
  /** Milliseconds between emulated frames (default 20). */
  frameMs?: number;
  python?: string;
  variants?: Record<string, boolean | string>;
}

/** The frame's bytes as the DAT's `data`: text frames as text, the rest as base64. */
const MAX_HTTP_BODY = 64 * 1024;

export class ServerBridge {
  readonly emu: EmulatorProcess;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false, autoPong: false });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly frames: FrameDriver;
  private stopped = false;
  /** The emulated DAT is active (its server started). */
  private running = false;
  readonly net = { requests: 0, opens: 0, closes: 0, framesIn: 0, framesOut: 0 };

  constructor(private readonly o: ServerBridgeOptions) {
    this.emu = new EmulatorProcess(o.python);
    this.frames = new FrameDriver(this.emu);
    this.emu.onEvent = (e) => this.onEmulatorEvent(e);
    this.http = createServer((req, res) => void this.onRequest(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** Loads the scripts, starts the emulated project and listens; resolves with the page's URL. */
  async start(): Promise<string> {
    const o = this.o.options;
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.o.port ?? o.port, this.o.host ?? '127.0.0.1', () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    await this.emu.load({
      target: 'webserver',
      scripts: renderScripts(o),
      table: o.table,
      websocketDat: o.websocketDat,
      webserverDat: o.webserverDat,
      callbacksDat: o.callbacksDat,
      executeDat: o.executeDat,
      scriptChop: o.scriptChop,
      link: 'bridge',
      port: this.port,
      ...(this.o.variants ? { variants: this.o.variants } : {}),
    });
    await this.emu.request('start', { create: true });
    this.frames.start(this.o.frameMs);
    return this.url;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.o.host ?? '127.0.0.1';
    const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return `http://${h}:${this.port}/`;
  }

  private forward(cmd: string, args: Record<string, unknown>): void {
    this.emu.request(cmd, args).catch(() => undefined);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.net.requests++;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_HTTP_BODY) throw new Error('request body too large');
        chunks.push(chunk as Buffer);
      }
      const url = new URL(req.url ?? '/', 'http://bridge');
      const out = await this.emu.request<{ response: Record<string, unknown> | null }>('http', {
        method: req.method ?? 'GET',
        uri: url.pathname,
        pars: Object.fromEntries(url.searchParams),
        clientAddress: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
        serverAddress: `${req.socket.localAddress}:${req.socket.localPort}`,
        data: Buffer.concat(chunks).toString('utf8'),
      });
      const r = out.response;
      if (r === null) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('the Web Server DAT is not active\n');
        return;
      }
      const { statusCode, statusReason, data, b64, ...headers } = r;
      const body = typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.from(String(data ?? ''), 'utf8');
      const h: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(headers)) h[k] = String(v);
      h['content-length'] = body.length;
      res.writeHead(Number(statusCode ?? 404), String(statusReason ?? ''), h);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (!this.running || this.stopped) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      this.sockets.set(client, ws);
      this.net.opens++;
      this.forward('ws_open', { client, uri: new URL(req.url ?? '/', 'http://bridge').pathname });
      ws.on('message', (data, isBinary) => {
        this.net.framesIn++;
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) this.forward('ws_binary', { client, b64: buf.toString('base64') });
        else this.forward('ws_text', { client, data: buf.toString('utf8') });
      });
      ws.on('ping', (data) => this.forward('ws_ping', { client, b64: data.toString('base64') }));
      ws.on('pong', (data) => this.forward('ws_pong', { client, b64: data.toString('base64') }));
      ws.on('error', () => undefined);
      ws.on('close', () => {
        this.net.closes++;
        if (this.sockets.get(client) !== ws) return; // closed by the scripts: they know
        this.sockets.delete(client);
        this.forward('ws_close', { client });
      });
    });
  }

  private onEmulatorEvent(e: EmulatorEvent): void {
    if (this.stopped) return;
    if (e.event === 'srv_listen') this.running = true;
    else if (e.event === 'srv_stop') {
      this.running = false;
      for (const ws of this.sockets.values()) ws.terminate();
      this.sockets.clear();
    } else if (e.event === 'srv_close' && e.client !== undefined) {
      const ws = this.sockets.get(e.client);
      this.sockets.delete(e.client);
      ws?.close(1000, 'closed by the server');
    } else if (e.event === 'srv_send' && e.client !== undefined) {
      const ws = this.sockets.get(e.client);
      if (!ws || ws.readyState !== ws.OPEN) return;
      this.net.framesOut++;
      const bytes = (): Buffer => Buffer.from(e.b64 ?? '', 'base64');
      if (e.kind === 'text') ws.send(e.data ?? '');
      else if (e.kind === 'binary') ws.send(bytes());
      else if (e.kind === 'ping') ws.ping(bytes());
      else if (e.kind === 'pong') ws.pong(bytes());
    }
  }

  state(): Promise<EmulatorState> {
    return this.emu.state();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.frames.stop();
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    await this.emu.close();
  }
}
