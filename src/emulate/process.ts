/**
 * The Python emulator as a child process speaking JSON lines (src/emulate/python/tdemu/driver.py).
 * One request at a time per id; unsolicited `{"event": ...}` lines (the bridge link) go to `onEvent`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { RenderedScript } from '../generate/index.js';

export const PYTHON_DIR = fileURLToPath(new URL('../../src/emulate/python/', import.meta.url));

export interface EmulatorEvent {
  event: 'open' | 'close' | 'send' | 'srv_listen' | 'srv_stop' | 'srv_send' | 'srv_close';
  client?: string;
  kind?: 'text' | 'pong' | 'ping' | 'binary';
  data?: string;
  b64?: string;
  netaddress?: string;
  port?: number;
  /** --target osc: the OSC In DAT's Split Bundle into Messages (default on, as install.py sets it). */
  splitbundle?: boolean;
}

export interface ScriptError {
  op: string | null;
  callback: string;
  error: string;
  traceback: string;
}

export interface OperatorInfo {
  name: string;
  path: string;
  type: string;
  OPType: string;
  family: string;
  tags: string[];
  dock: string | null;
  /** WebSocket DAT: active, netaddress, port, callbacks; Execute DAT: active and its callback toggles. */
  pars?: Record<string, unknown>;
}

export interface PendingRun {
  source: string;
  group: string | null;
  active: boolean;
  remainingFrames: number;
  endFrame: boolean;
  clock: 'wall' | 'timeline';
}

/** The Script CHOP the generated script_chop.py feeds (null when the project has none). */
export interface ChopState {
  name: string;
  numSamples: number;
  /** Channel name → one value per sample (slot). */
  channels: Record<string, number[]>;
  totalCooks: number;
  cookAbsFrame: number;
  dirty: boolean;
  /** Wall seconds of the last cooks. */
  cookWall: number[];
}

/** The Web Server DAT of a --target webserver project. */
export interface ServerState {
  running: boolean;
  clients: string[];
  outbox: { client: string; kind: string; data: string; t: number }[];
  droppedSends: number;
  starts: number;
  stops: number;
  pars: { active: boolean; port: number; callbacks: string | null };
}

export interface EmulatorState {
  table: string[][];
  outbox: { kind: string; data: string; t: number }[];
  stats: { frames: number; received: number; applied: number; ignored: Record<string, number>; reindexed: number } | null;
  errors: ScriptError[];
  ops: Record<string, number>;
  seconds: number;
  frame: number;
  /** Wall seconds since the emulated process started (advances paused or not). */
  wall: number;
  timeline: 'playing' | 'paused';
  variants: Record<string, boolean | string>;
  connected: boolean;
  active: boolean;
  /** A connection attempt is in flight. */
  attempting: boolean;
  /** absTime.seconds of each connection attempt. */
  attempts: number[];
  /** Wall seconds of each connection attempt. */
  attemptsWall: number[];
  /** Connections that opened. */
  connects: number;
  websocketPars: { active: boolean; netaddress: string; port: number; callbacks: string | null } | null;
  debugCount: number;
  debugTail: string[];
  /** The last 50 lines scripts printed (print, debug, tracebacks). */
  textportTail: string[];
  pendingRuns: number;
  runs: PendingRun[];
  tableLog: string[];
  /** Non-empty operator storage by path (values as JSON, others as repr strings). */
  storage: Record<string, Record<string, unknown>>;
  operators: OperatorInfo[];
  /** The operators the session commands act on. */
  names: { table: string; websocket: string; callbacks: string; execute: string; chop?: string };
  chop: ChopState | null;
  server: ServerState | null;
}

export interface LoadOptions {
  /** Which network DAT the project has (default websocket). */
  target?: 'websocket' | 'webserver' | 'osc';
  scripts: RenderedScript[];
  table: string;
  websocketDat: string;
  callbacksDat: string;
  webserverDat?: string;
  oscinDat?: string;
  executeDat?: string;
  /** The Script CHOP made for script_chop.py when the scripts include it (default tdcrowd_chop). */
  scriptChop?: string;
  /** false: no Script CHOP at load (`add_chop` makes it later). */
  chop?: boolean;
  /** Undocumented TouchDesigner behaviours to pick (src/emulate/variants.ts). */
  variants?: Record<string, boolean | string>;
  /** Build only the component: an installer script creates the operators (`add_text`, `run_script`). */
  empty?: boolean;
  link?: 'loopback' | 'bridge';
  serverUp?: boolean;
  active?: boolean;
  order?: 'frame_first' | 'messages_first';
  tableRows?: string[][];
  netaddress?: string;
  port?: number;
  /** --target osc: the OSC In DAT's Split Bundle into Messages (default on, as install.py sets it). */
  splitbundle?: boolean;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class EmulatorProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private exited = false;
  onEvent: (e: EmulatorEvent) => void = () => {};

  constructor(python = 'python3') {
    this.child = spawn(python, ['-m', 'tdemu.driver'], {
      env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches Node only, which then closes the emulator in
      // order (stdin ends), instead of Python dying mid-request with a KeyboardInterrupt traceback. Python still
      // exits when Node dies, at the end of its stdin.
      detached: true,
    });
    this.child.stdin.on('error', () => undefined); // EPIPE after the child died: reported through 'exit'
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.child.on('error', (err) => {
      // e.g. python3 not installed: fail every request instead of crashing the process
      this.stderr += `${err.message}\n`;
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`cannot run ${python}: ${err.message}`));
      this.pending.clear();
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      const err = new Error(`emulator exited (code ${code}): ${this.stderr}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.event !== undefined) {
      this.onEvent(msg as EmulatorEvent);
      return;
    }
    const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
    if (!p || msg.id === undefined) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`emulator: ${msg.error}`));
  }

  request<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`emulator has exited: ${this.stderr}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify({ ...args, cmd, id })}\n`);
    });
  }

  load(o: LoadOptions): Promise<unknown> {
    const scripts: Record<string, string> = {};
    for (const s of o.scripts) scripts[s.file] = s.text;
    const { scripts: _omit, ...rest } = o;
    return this.request('load', { ...rest, scripts });
  }

  state(drainOutbox = false): Promise<EmulatorState> {
    return this.request<EmulatorState>('state', { drainOutbox });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(timer);
  }
}
