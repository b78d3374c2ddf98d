/**
 * The page's client logic as one small browser module, for the default joystick page and for an artist's own page
 * (`relay --static DIR`), served by the relay at `/tdcrowd-client.js`:
 *
 *   import { connect } from '/tdcrowd-client.js';
 *   const crowd = connect();                       // same origin as the page: ws: or wss:
 *   crowd.on('status', (s) => (pill.textContent = s.label));
 *   fader.oninput = () => crowd.send({ x: fader.value * 170, y: 0 });
 *   fader.onchange = () => crowd.release();         // back to centre, a zero update
 *
 * What it does for the page: an unguessable id kept for the tab's life with its resume token, reconnect with
 * backoff that keeps the id, at most one update per animation frame, speed and angle computed from x and y the
 * way the knob does, idle delete after 10 s without movement (the next send comes back), and a state to show.
 */
import { RIM } from '../../protocol/constants.js';
import { idleMsFromSearch, relayUrlFor } from './config.js';
import type { ConnectionState } from './connection.js';
import { createController } from './controller.js';
import { FrameCoalescer, SIXTY_HZ_INTERVAL_MS } from './frame.js';
import { Identity, type KeyValueStore } from './identity.js';
import { valuesFromOffset, ZERO, type JoystickValues } from './joystick.js';

export { RIM };
export type { JoystickValues };

/**
 * What to show. `waiting`: connected, but no TouchDesigner (sink) takes the updates yet; `idle`: connected and
 * idle-deleted (the next send joins again).
 */
export type PageState = 'connecting' | 'live' | 'idle' | 'waiting' | 'reconnecting' | 'unreachable' | 'offline';

export interface Status {
  readonly state: PageState;
  /** The socket's own state (`live` while open). */
  readonly connection: ConnectionState;
  /** A sink receives the updates. */
  readonly listening: boolean;
  /** This phone's row exists at the sink (false after the idle delete). */
  readonly present: boolean;
  /** Short text for a status line, e.g. "relay unreachable — retrying". */
  readonly label: string;
}

export const STATE_LABELS: Readonly<Record<PageState, string>> = Object.freeze({
  connecting: 'connecting…',
  live: 'live',
  idle: 'live · idle',
  waiting: 'connected · waiting for the show',
  reconnecting: 'reconnecting…',
  unreachable: 'relay unreachable — retrying',
  offline: 'offline — retrying',
});

/** The page state from the connection's and the session's. */
export function pageState(connection: ConnectionState, listening: boolean, present: boolean): PageState {
  if (connection !== 'live') return connection;
  if (!listening) return 'waiting';
  return present ? 'live' : 'idle';
}

export interface ConnectOptions {
  /** Relay WebSocket URL; default: the page's own origin (ws: for http:, wss: for https:). */
  url?: string;
  /** Idle delete after this many ms without a send (default 10 000, as in the tutorial; the page's `?idle=MS` overrides it). */
  idleMs?: number;
  /** Where the id and resume token live; default sessionStorage (one user per tab), null: memory only. */
  storage?: KeyValueStore | null;
}

export interface ClientEvents {
  status: Status;
  /** A short message for the person (a relay error, a take-over by another tab). */
  notice: string;
  /** The values just sent (once per frame at most): what a page draws. */
  sent: JoystickValues;
  /** The colour the relay gave this phone (0-359), from its welcome: the same hue TouchDesigner can show. */
  hue: number;
}

export interface TdcrowdClient {
  readonly sliderId: string;
  readonly status: Status;
  /** The relay's hue for this phone (undefined until a welcome carried one). */
  readonly hue: number | undefined;
  /**
   * Position in joystick units, x right and y down, each -RIM…RIM (RIM = 170, the pad's rim); outside the rim it is
   * pulled back onto it. Speed and angle are computed from x and y. Returns the values that will be sent.
   */
  send(position: { x: number; y: number }): JoystickValues;
  /** Back to the centre: a zero update, and the idle clock starts. */
  release(): void;
  /** While held (a finger down, tilt on), the person is not idle even if the position keeps still. */
  hold(held: boolean): void;
  on<K extends keyof ClientEvents>(type: K, listener: (value: ClientEvents[K]) => void): () => void;
  /** Closes the socket for good. */
  close(): void;
}

function sameValues(a: JoystickValues, b: JoystickValues): boolean {
  return a.x === b.x && a.y === b.y && a.speed === b.speed && a.angle === b.angle;
}

function sessionStore(): KeyValueStore | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked: the id lives as long as the page
  }
}

export function connect(options: ConnectOptions = {}): TdcrowdClient {
  const listeners: { [K in keyof ClientEvents]: Set<(v: ClientEvents[K]) => void> } = {
    status: new Set(),
    notice: new Set(),
    sent: new Set(),
    hue: new Set(),
  };
  const emit = <K extends keyof ClientEvents>(type: K, value: ClientEvents[K]): void => {
    for (const l of listeners[type]) l(value);
  };

  let connectionState: ConnectionState = 'connecting';
  let hue: number | undefined;
  let listening = true;
  let present = true;
  let status: Status = makeStatus();
  function makeStatus(): Status {
    const state = pageState(connectionState, listening, present);
    return Object.freeze({ state, connection: connectionState, listening, present, label: STATE_LABELS[state] });
  }
  const update = (): void => {
    const next = makeStatus();
    if (next.state === status.state && next.listening === status.listening && next.present === status.present) return;
    status = next;
    emit('status', status);
  };

  const identity = new Identity(options.storage === undefined ? sessionStore() : options.storage);
  const { session, connection } = createController({
    url: options.url ?? relayUrlFor(location),
    createSocket: (url) => new WebSocket(url),
    identity,
    idleMs: options.idleMs ?? idleMsFromSearch(location.search),
    isOnline: () => navigator.onLine !== false,
    onState: (s) => {
      connectionState = s;
      update();
    },
    onPresence: (p) => {
      present = p;
      update();
    },
    onListening: (l) => {
      listening = l;
      update();
    },
    onNotice: (text) => emit('notice', text),
    onHue: (h) => {
      hue = h;
      emit('hue', h);
    },
  });

  // The same values again say nothing new (a fader dragged against its end, a phone lying still in tilt mode):
  // not sent, so the idle clock runs. After the idle delete they are sent: they bring the phone back.
  let lastSent: JoystickValues | undefined;
  const frames = new FrameCoalescer<JoystickValues>(
    (cb) => window.requestAnimationFrame(() => cb()),
    (v) => {
      if (session.present && lastSent !== undefined && sameValues(v, lastSent)) return;
      lastSent = v;
      session.move(v);
      emit('sent', v);
    },
    { minIntervalMs: SIXTY_HZ_INTERVAL_MS, now: () => performance.now() },
  );

  let held = false;
  const release = (): void => {
    frames.push(ZERO);
    held = false;
    session.setPressed(false);
  };

  const onOnline = (): void => connection.wake();
  const onOffline = (): void => connection.networkLost();
  const onVisibility = (): void => {
    if (document.visibilityState === 'visible') {
      connection.wake();
      return;
    }
    // Hidden pages get no animation frames: let go (a zero update) and send it now.
    if (held) release();
    frames.flushNow();
  };
  const onPageHide = (e: PageTransitionEvent): void => {
    if (!e.persisted) connection.stop();
  };
  const onPageShow = (e: PageTransitionEvent): void => {
    if (e.persisted) connection.start();
  };
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('pagehide', onPageHide);
  window.addEventListener('pageshow', onPageShow);

  connection.start();

  return {
    get sliderId() {
      return session.sliderId;
    },
    get status() {
      return status;
    },
    get hue() {
      return hue;
    },
    send(position) {
      const v = valuesFromOffset(Number(position?.x), Number(position?.y), RIM);
      frames.push(v);
      return v;
    },
    release,
    hold(h) {
      if (h === held) return;
      held = h;
      session.setPressed(h);
    },
    on(type, listener) {
      const set = listeners[type] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    close() {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('pageshow', onPageShow);
      session.stop();
      connection.stop();
    },
  };
}
