/**
 * Plays the WebSocket DAT's network side for the emulated scripts: a real `ws` client to the relay.
 * The emulator asks to open/close (when the scripts toggle par.active) and to send text/pongs; socket events
 * come back as emulator commands: connect, queued text delivered at the next frame, ping, and for a socket
 * that closes `disconnect` when it had opened or `fail` when it never did (the emulator's variants decide
 * which callbacks that calls). Each 'open' is a new attempt with a new socket; events of a socket that is no
 * longer the current one are ignored.
 * A timer drives emulated frames at real time, so run() delays and pruning behave as in TouchDesigner.
 */
import WebSocket from 'ws';
import { renderScripts, type GenerateOptions } from '../generate/index.js';
import { FrameDriver } from './frame-driver.js';
import { EmulatorProcess, type EmulatorEvent, type EmulatorState } from './process.js';

export interface BridgeOptions {
  url: string;
  options: GenerateOptions;
  /** Milliseconds between emulated frames (default 20: 50 fps). */
  frameMs?: number;
  python?: string;
  /** Emulator variants (src/emulate/variants.ts); default: none. */
  variants?: Record<string, boolean | string>;
}

export class Bridge {
  readonly emu: EmulatorProcess;
  private ws: WebSocket | undefined;
  private readonly frames: FrameDriver;
  private stopped = false;
  /** Socket-level counters, for the status line. */
  readonly net = { opens: 0, closes: 0, framesIn: 0, framesOut: 0, pings: 0, lastError: '' };
  /** When the socket last opened or carried a frame (to tell when a stream has settled); 0 = never. */
  lastActivityAt = 0;

  constructor(private readonly o: BridgeOptions) {
    this.emu = new EmulatorProcess(o.python);
    this.frames = new FrameDriver(this.emu);
    this.emu.onEvent = (e) => this.onEmulatorEvent(e);
  }

  async start(): Promise<void> {
    const u = new URL(this.o.url);
    await this.emu.load({
      scripts: renderScripts(this.o.options),
      table: this.o.options.table,
      websocketDat: this.o.options.websocketDat,
      callbacksDat: this.o.options.callbacksDat,
      link: 'bridge',
      active: false,
      ...(this.o.variants ? { variants: this.o.variants } : {}),
      netaddress: u.hostname,
      port: Number(u.port || (u.protocol === 'wss:' ? 443 : 80)),
    });
    await this.emu.request('start', { create: true });
    // Switching the DAT on makes the emulator ask for a socket (an 'open' event), as TouchDesigner would.
    await this.emu.request('set_par', { op: this.o.options.websocketDat, name: 'active', value: true });
    this.frames.start(this.o.frameMs);
  }

  private forward(cmd: string, args: Record<string, unknown> = {}): void {
    this.emu.request(cmd, args).catch(() => undefined);
  }

  private onEmulatorEvent(e: EmulatorEvent): void {
    if (this.stopped) return;
    if (e.event === 'open') this.open();
    else if (e.event === 'close') this.closeSocket();
    else if (e.event === 'send') this.send(e);
  }

  private open(): void {
    // A new attempt: whatever socket is left from an earlier one (a failed or abandoned attempt whose close
    // has not been seen yet) is dropped first, so it can neither block this attempt nor report on it.
    const stale = this.ws;
    this.ws = undefined;
    stale?.terminate();
    const ws = new WebSocket(this.o.url, { autoPong: false, handshakeTimeout: 5000 });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      this.net.opens++;
      this.lastActivityAt = performance.now();
      this.emu
        .request<{ connected: boolean }>('connect')
        .then((r) => {
          if (!r.connected && this.ws === ws) this.closeSocket(); // the DAT was switched off meanwhile
        })
        .catch(() => undefined);
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      this.net.framesIn++;
      this.lastActivityAt = performance.now();
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      // queued like text: frames reach the scripts in the order the socket delivered them
      if (isBinary) this.forward('binary', { b64: buf.toString('base64'), queued: true });
      else this.forward('text', { data: buf.toString('utf8'), queued: true });
    });
    // The WebSocket DAT leaves pongs to onReceivePing (autoPong is off): the scripts must answer.
    ws.on('ping', (data) => {
      if (this.ws !== ws) return;
      this.net.pings++;
      this.forward('ping', { b64: data.toString('base64') });
    });
    ws.on('error', (err) => {
      this.net.lastError = err.message;
    });
    ws.on('close', () => {
      this.net.closes++;
      if (this.ws !== ws) return; // closed on the emulator's request, or superseded: it already knows
      this.ws = undefined;
      // a connection that was up is lost; an attempt that never opened has failed
      this.forward(opened ? 'disconnect' : 'fail');
    });
  }

  private closeSocket(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, 'DAT switched off');
  }

  private send(e: EmulatorEvent): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    this.net.framesOut++;
    if (e.kind === 'text') ws.send(e.data ?? '');
    else if (e.kind === 'pong') ws.pong(Buffer.from(e.b64 ?? '', 'base64'));
    else if (e.kind === 'ping') ws.ping(Buffer.from(e.b64 ?? '', 'base64'));
    else if (e.kind === 'binary') ws.send(Buffer.from(e.b64 ?? '', 'base64'));
  }

  /** Cuts the socket without a close handshake, as a network failure would (for tests and drills). */
  dropSocket(): void {
    this.ws?.terminate();
  }

  get socketOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  state(): Promise<EmulatorState> {
    return this.emu.state();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.frames.stop();
    const ws = this.ws;
    this.ws = undefined;
    ws?.terminate();
    await this.emu.close();
  }
}
