/** Real parts for the page's browser tests: a timing sink, a cuttable TCP proxy, Chromium. */
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Browser } from 'playwright-core';
import { startRelay, type RelayHandle, type RelayOptions } from '../../src/relay/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { Peer } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';

export { launchChromium };

export interface SinkFrame {
  at: number;
  text: string;
  msg: Record<string, unknown>;
}

/** A sink like TouchDesigner's WebSocket DAT: says hello, answers ping, records every JSON frame. */
export class Sink {
  readonly frames: SinkFrame[] = [];
  private constructor(private readonly peer: Peer) {
    peer.onText = (text) => {
      if (text === 'ping') {
        peer.send('pong');
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
    };
  }

  static async connect(url: string): Promise<Sink> {
    const peer = await Peer.open(url);
    const sink = new Sink(peer);
    peer.send({ type: 'hello', role: 'sink' });
    return sink;
  }

  /** Frames for one id (connect, update, delete), in arrival order. */
  of(id: string): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.msg.sliderId === id).map((f) => f.msg);
  }

  updatesOf(id: string): Array<Record<string, unknown>> {
    return this.of(id).filter((m) => m.type === undefined || m.type === 'update');
  }

  /** Waits for a message (from the `from`-th on) matching `pred`, and returns it. */
  async waitForMessage(pred: (m: Record<string, unknown>) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return until(() => this.frames.slice(from).find((f) => pred(f.msg))?.msg, `sink: ${what}`, timeoutMs);
  }

  close(): void {
    this.peer.close();
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

/** What a page test plays against: a relay on loopback, a sink on it, Chromium. */
export interface PageRig {
  relay: RelayHandle;
  sink: Sink;
  browser: Browser;
}

export async function openPageRig(options: Partial<RelayOptions> = {}): Promise<PageRig> {
  const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, ...options });
  const sink = await Sink.connect(relay.url);
  const browser = await launchChromium();
  return { relay, sink, browser };
}

/** Closes what openPageRig opened (whatever of it did open). */
export async function closePageRig(rig: Partial<PageRig>): Promise<void> {
  rig.sink?.close();
  await rig.browser?.close();
  await rig.relay?.close();
}
