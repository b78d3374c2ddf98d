/**
 * One WebSocket to the relay, kept alive: reconnects with backoff and jitter after any drop, answers the
 * relay's bare `ping`, and reports a connection state the page shows. What to send on open is the session's job.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { CLOSE } from '../../protocol/close-codes.js';
import { PONG } from '../../protocol/constants.js';
import { readRelayFrame, type RelayEvent } from './messages.js';
import { realTimers, type Timers } from './timers.js';

/**
 * `offline`: the browser says it has no network; `unreachable`: it has one, but the relay has not answered for a
 * few attempts (relay down, wrong Wi-Fi). Both keep retrying; they differ in what the person can do about it.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'unreachable' | 'offline';

const OPEN = 1; // WebSocket.OPEN (not a global in Node, where the tests run)

export interface ConnectionOptions {
  url: string;
  createSocket: (url: string) => WebSocket;
  /** The socket is open: claim the id. */
  onOpen: () => void;
  /** A frame the session may care about (welcome, error). Pings are answered here and not passed on. */
  onEvent: (event: RelayEvent) => void;
  onState: (state: ConnectionState) => void;
  /** The current socket closed with this code (before the retry is scheduled). */
  onClosed?: (code: number) => void;
  random?: () => number;
  timers?: Timers;
  now?: () => number;
  /** navigator.onLine in the page. */
  isOnline?: () => boolean;
  backoff?: BackoffOptions;
  /** An attempt that has not opened by then is abandoned and retried (a phone waking on a dead network). */
  connectTimeoutMs?: number;
  /** A connection that stayed open this long (or got a welcome) resets the backoff when it drops. */
  stableMs?: number;
  /** Consecutive failed attempts after which the state reads `unreachable` (retries go on). */
  offlineAfter?: number;
  /**
   * A socket whose send buffer has not drained for this long is treated as dead and replaced. A phone that
   * slept or roamed can keep a socket that looks open for minutes while nothing leaves it; the relay has long
   * dropped it (heartbeat), and the knob would move for no one.
   */
  stallMs?: number;
}

export class RelayConnection {
  readonly #o: Required<Omit<ConnectionOptions, 'backoff'>> & { backoff: BackoffOptions };
  #socket: WebSocket | null = null;
  #state: ConnectionState = 'connecting';
  #failures = 0;
  #everOpen = false;
  #openedAt = -1;
  #welcomed = false;
  #stopped = true;
  #retryTimer: unknown;
  #connectTimer: unknown;
  /** Bytes handed to this socket, what had left its buffer at the last sign of progress, and since when none. */
  #sentBytes = 0;
  #drainedAtMark = 0;
  #stallSince = -1;

  constructor(options: ConnectionOptions) {
    this.#o = {
      random: Math.random,
      timers: realTimers,
      now: Date.now,
      isOnline: () => true,
      onClosed: () => undefined,
      backoff: DEFAULT_BACKOFF,
      connectTimeoutMs: 10_000,
      stableMs: 5_000,
      offlineAfter: 4,
      stallMs: 5_000,
      ...options,
    };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get isOpen(): boolean {
    return this.#socket !== null && this.#socket.readyState === OPEN;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#setState('connecting');
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimers();
    const socket = this.#detach();
    try {
      socket?.close(CLOSE.normal, 'page closed');
    } catch {
      // already closing
    }
  }

  /** Send if open; false when the frame could not be sent (it is not queued: positions go stale fast). */
  send(text: string): boolean {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== OPEN) return false;
    try {
      socket.send(text);
    } catch {
      return false;
    }
    return this.#checkDraining(socket, text.length); // JSON frames are ASCII: length = bytes
  }

  /**
   * Progress is what left the buffer: bytes handed to send() minus what is still buffered. No progress for
   * stallMs while frames wait means the socket is dead. Sends only happen while the knob moves, so a stuck
   * socket is noticed while someone is trying to use it.
   */
  #checkDraining(socket: WebSocket, bytes: number): boolean {
    this.#sentBytes += bytes;
    const buffered = typeof socket.bufferedAmount === 'number' ? socket.bufferedAmount : 0; // unknown: cannot judge
    const drained = this.#sentBytes - buffered;
    if (buffered === 0 || drained > this.#drainedAtMark) {
      this.#stallSince = buffered === 0 ? -1 : this.#o.now(); // alive: a slow network is not a dead one
      this.#drainedAtMark = drained;
      return true;
    }
    if (this.#stallSince < 0) this.#stallSince = this.#o.now();
    if (this.#o.now() - this.#stallSince < this.#o.stallMs) return true;
    this.retryLater();
    return false;
  }

  /** The relay refused our claim (id still held by our previous socket): drop this socket and retry later. */
  retryLater(): void {
    if (this.#stopped) return;
    const socket = this.#detach();
    try {
      socket?.close(CLOSE.normal, 'retrying');
    } catch {
      // already closing
    }
    this.#scheduleRetry();
  }

  /**
   * The browser says the network is gone: the socket is as good as dead (a phone leaving Wi-Fi), so drop it
   * now and show offline instead of `live` on a socket that can no longer deliver.
   */
  networkLost(): void {
    if (this.#stopped) return;
    if (this.#socket === null) {
      this.#setState('offline'); // a retry is already scheduled
      return;
    }
    this.retryLater();
  }

  /** Network back or page visible again: skip the remaining backoff wait. */
  wake(): void {
    if (this.#stopped || this.#socket !== null) return;
    this.#open();
  }

  #open(): void {
    this.#clearTimers();
    let socket: WebSocket;
    try {
      socket = this.#o.createSocket(this.#o.url);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    this.#openedAt = -1;
    this.#welcomed = false;
    this.#sentBytes = 0;
    this.#drainedAtMark = 0;
    this.#stallSince = -1;
    this.#connectTimer = this.#o.timers.setTimeout(() => {
      this.#connectTimer = undefined;
      if (this.#socket === socket && socket.readyState !== OPEN) this.retryLater();
    }, this.#o.connectTimeoutMs);

    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#clearConnectTimer();
      this.#openedAt = this.#o.now();
      this.#everOpen = true;
      this.#setState('live');
      this.#o.onOpen();
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (this.#socket !== socket) return;
      const event = readRelayFrame(ev.data);
      if (event.kind === 'ping') {
        this.send(PONG);
        return;
      }
      if (event.kind === 'ignore') return;
      if (event.kind === 'welcome') {
        this.#welcomed = true;
        this.#failures = 0;
      }
      this.#o.onEvent(event);
    };
    // An error is always followed by close, which does the work.
    socket.onerror = () => undefined;
    socket.onclose = (ev: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#clearConnectTimer();
      this.#o.onClosed(ev.code);
      const stable = this.#welcomed || (this.#openedAt >= 0 && this.#o.now() - this.#openedAt >= this.#o.stableMs);
      if (stable) this.#failures = 0;
      this.#scheduleRetry();
    };
  }

  #scheduleRetry(): void {
    if (this.#stopped) return;
    this.#clearTimers();
    const delay = backoffDelay(this.#failures, this.#o.random, this.#o.backoff);
    this.#failures += 1;
    const state: ConnectionState = !this.#o.isOnline()
      ? 'offline'
      : this.#failures >= this.#o.offlineAfter
        ? 'unreachable'
        : this.#everOpen
          ? 'reconnecting'
          : 'connecting';
    this.#setState(state);
    this.#retryTimer = this.#o.timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
  }

  #detach(): WebSocket | null {
    const socket = this.#socket;
    this.#socket = null;
    this.#clearConnectTimer();
    if (socket) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
    }
    return socket;
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) this.#o.timers.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearConnectTimer();
    if (this.#retryTimer !== undefined) this.#o.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#o.onState(state);
  }
}
