/** Real parts for the page's browser tests: a measuring sink, a cuttable TCP proxy, Chromium, polling. */
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebSocket } from 'ws';

export { launchChromium } from '../helpers/chromium.js';

/** Poll until `probe` returns a value other than undefined/false (no fixed sleeps in tests). */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SinkFrame {
  at: number;
  text: string;
  msg: Record<string, unknown>;
}

/** A sink like TouchDesigner's WebSocket DAT: says hello, answers ping, records every JSON frame. */
export class Sink {
  readonly frames: SinkFrame[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : String(data);
      if (text === 'ping') {
        ws.send('pong');
        return;
      }
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      const list = (msg as { type?: string }).type === 'batch' ? ((msg as { messages: unknown[] }).messages ?? []) : [msg];
      for (const m of list) this.frames.push({ at: Date.now(), text, msg: m as Record<string, unknown> });
    });
  }

  static async connect(url: string): Promise<Sink> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', role: 'sink' }));
    return new Sink(ws);
  }

  /** Frames for one id (connect, update, delete), in arrival order. */
  of(id: string): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.msg.sliderId === id).map((f) => f.msg);
  }

  updatesOf(id: string): Array<Record<string, unknown>> {
    return this.of(id).filter((m) => m.type === undefined || m.type === 'update');
  }

  async waitFor(pred: (m: Record<string, unknown>) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return waitFor(() => this.frames.slice(from).find((f) => pred(f.msg))?.msg, `sink: ${what}`, timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * A TCP proxy in front of the relay whose client side can be cut while the relay side stays open: what the
 * relay sees when a phone's network vanishes (it still believes the old socket is alive).
 */
export class CuttableProxy {
  private readonly pairs: Array<{ client: Socket; upstream: Socket; websocket: boolean; cut: boolean }> = [];
  private server: Server | undefined;
  port = 0;

  static async start(targetPort: number): Promise<CuttableProxy> {
    const proxy = new CuttableProxy();
    const server = createServer((client) => {
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      const pair = { client, upstream, websocket: false, cut: false };
      proxy.pairs.push(pair);
      client.on('data', (chunk: Buffer) => {
        if (/^upgrade:\s*websocket/im.test(chunk.toString('latin1'))) pair.websocket = true;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      // A cut pair keeps its relay side open on purpose.
      client.on('close', () => {
        if (!pair.cut) upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy.server = server;
    proxy.port = (server.address() as AddressInfo).port;
    return proxy;
  }

  /** Live websocket pairs (client side still open). */
  get websockets(): number {
    return this.pairs.filter((p) => p.websocket && !p.client.destroyed).length;
  }

  /** Drop every websocket's client side; the relay side stays open and silent (no close frame, no FIN). */
  cutWebsockets(): number {
    let n = 0;
    for (const p of this.pairs) {
      if (!p.websocket || p.client.destroyed) continue;
      p.cut = true;
      p.upstream.removeAllListeners('data');
      p.upstream.pause();
      p.client.destroy();
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
