/**
 * A raw `ws` client for tests — phone, sink or hostile client alike: records every text frame (JSON decoded when
 * it is JSON), binaries, heartbeat pings and how the connection closed; sends anything, valid or not.
 */
import type { Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import type { RelayHandle } from '../../src/relay/index.js';
import type { Json } from './messages.js';
import { until } from './wait.js';

export class Peer {
  readonly ws: WebSocket;
  /** Every text frame received, in order: JSON decoded, anything else (keep-alive strings) as text. */
  readonly frames: unknown[] = [];
  /** The same frames as they arrived. */
  readonly texts: string[] = [];
  binaries = 0;
  /** WebSocket-level pings received (the relay's heartbeat). */
  pings = 0;
  closeCode: number | undefined;
  closeReason = '';
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  /** Called with each text frame as it arrives. */
  onText: ((text: string) => void) | undefined;

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binaries++;
        return;
      }
      const text = (data as Buffer).toString();
      this.texts.push(text);
      let v: unknown = text;
      try {
        v = JSON.parse(text);
      } catch {
        // keep-alive strings stay strings
      }
      this.frames.push(v);
      this.onText?.(text);
    });
    this.ws.on('ping', () => {
      this.pings++;
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((r) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        r();
      }),
    );
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
  }

  /** A peer whose handshake has completed (rejects with the HTTP status when the upgrade is refused). */
  static async open(url: string, options?: ClientOptions): Promise<Peer> {
    const p = new Peer(url, options);
    await p.opened;
    return p;
  }

  /** The JSON objects received (keep-alive strings left out). */
  get messages(): Json[] {
    return this.frames.filter((m): m is Json => typeof m === 'object' && m !== null && !Array.isArray(m));
  }

  /** Messages of one type; a message without `type` is an update. */
  ofType(type: string): Json[] {
    return this.messages.filter((m) => (m.type ?? 'update') === type);
  }

  /** The resume token of the relay's (first) welcome; undefined before one arrived. */
  get resume(): string | undefined {
    const w = this.ofType('welcome')[0];
    return w === undefined ? undefined : String(w.resume);
  }

  /** Waits until a message matching `predicate` has arrived, and returns it. */
  waitForMessage(predicate: (m: Json) => boolean, what: string, timeoutMs?: number): Promise<Json> {
    return until(() => this.messages.find(predicate), what, timeoutMs);
  }

  /** Sends JSON (or a string as is) when the socket is open; a closed socket drops it, as a browser's would. */
  send(m: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Sends bytes as a text frame without validating them (how invalid UTF-8 reaches a server). */
  sendRawText(bytes: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: false });
  }

  /** The TCP socket under the WebSocket (to stall reading, destroy it, or read its address). */
  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  waitClosed(what = 'the connection to close', timeoutMs = 15_000): Promise<void> {
    return until(() => this.closeCode !== undefined, what, timeoutMs).then(() => undefined);
  }

  /** A clean close (close frame and handshake), as a browser tab that says goodbye. */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  /** Drops the connection without a close frame, as a phone that loses its network. */
  terminate(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

export interface ClaimOptions {
  /** The resume token that takes the id back from an earlier connection. */
  resume?: string;
  ws?: ClientOptions;
}

/** A phone that claimed `id` on a relay (given or its URL), after the relay's welcome. */
export async function claim(relay: string | { url: string }, id: number | string, opts: ClaimOptions = {}): Promise<Peer> {
  const peer = await Peer.open(typeof relay === 'string' ? relay : relay.url, opts.ws);
  peer.send(opts.resume === undefined ? { type: 'connect', sliderId: id } : { type: 'connect', sliderId: id, resume: opts.resume });
  await peer.waitForMessage((m) => m.type === 'welcome', `welcome for ${id}`);
  return peer;
}

/** A sink an in-process relay has admitted (waited until the relay counts one more sink). */
export async function sink(relay: RelayHandle, hello: Json = {}): Promise<Peer> {
  const before = relay.metrics().connections.sink;
  const p = await Peer.open(relay.url);
  p.send({ type: 'hello', role: 'sink', ...hello });
  await until(() => relay.metrics().connections.sink > before, 'the sink to be admitted');
  return p;
}

/** Opens a raw WebSocket from `localAddress` and resolves with 'open', the HTTP status that refused it, or 'error'. */
export function upgrade(url: string, localAddress: string): Promise<{ ws: WebSocket; outcome: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress });
    ws.once('open', () => resolve({ ws, outcome: 'open' }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, outcome: `HTTP ${res.statusCode}` }));
    ws.once('error', () => resolve({ ws, outcome: 'error' }));
  });
}
