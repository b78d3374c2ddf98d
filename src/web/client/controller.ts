/** Wires a session (what to say) to a connection (how to stay connected). DOM-free, so tests can drive it. */
import { CLOSE } from '../../protocol/close-codes.js';
import type { BackoffOptions } from './backoff.js';
import { RelayConnection, type ConnectionState } from './connection.js';
import type { Identity } from './identity.js';
import { ControllerSession } from './session.js';
import type { Timers } from './timers.js';

export interface ControllerOptions {
  url: string;
  createSocket: (url: string) => WebSocket;
  identity: Identity;
  idleMs: number;
  onState?: (state: ConnectionState) => void;
  onNotice?: (text: string) => void;
  onPresence?: (present: boolean) => void;
  /** A sink receives the updates (true), or the phone is connected but no show is listening (false). */
  onListening?: (listening: boolean) => void;
  /** The colour the relay gave this phone (0–359). */
  onHue?: (hue: number) => void;
  timers?: Timers;
  random?: () => number;
  clock?: () => number;
  isOnline?: () => boolean;
  backoff?: BackoffOptions;
}

export interface Controller {
  readonly session: ControllerSession;
  readonly connection: RelayConnection;
}

export function createController(o: ControllerOptions): Controller {
  let connection: RelayConnection | undefined;
  const session = new ControllerSession({
    identity: o.identity,
    idleMs: o.idleMs,
    send: (text) => connection?.send(text) ?? false,
    onRefused: () => connection?.retryLater(),
    ...(o.timers && { timers: o.timers }),
    ...(o.clock && { clock: o.clock }),
    ...(o.onNotice && { onNotice: o.onNotice }),
    ...(o.onPresence && { onPresence: o.onPresence }),
    ...(o.onListening && { onListening: o.onListening }),
    ...(o.onHue && { onHue: o.onHue }),
  });
  connection = new RelayConnection({
    url: o.url,
    createSocket: o.createSocket,
    onOpen: () => session.handleOpen(),
    onEvent: (event) => session.handleEvent(event),
    onState: o.onState ?? (() => undefined),
    onClosed: (code) => {
      if (code === CLOSE.takenOver) session.handleTakenOver();
    },
    ...(o.timers && { timers: o.timers }),
    ...(o.random && { random: o.random }),
    ...(o.clock && { now: o.clock }),
    ...(o.isOnline && { isOnline: o.isOnline }),
    ...(o.backoff && { backoff: o.backoff }),
  });
  return { session, connection };
}
