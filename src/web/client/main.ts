/**
 * DOM glue for the joystick page: pointer input → knob, readout and (once per frame) the controller.
 * Everything with logic in it lives in the DOM-free modules next to this one.
 */
import { DEFAULT_IDLE_MS, idleMsFromSearch, relayUrlFor } from './config.js';
import type { ConnectionState } from './connection.js';
import { createController } from './controller.js';
import { FrameCoalescer, SIXTY_HZ_INTERVAL_MS } from './frame.js';
import { Identity, type KeyValueStore } from './identity.js';
import { knobOffsetPx, valuesFromOffset, ZERO, type JoystickValues } from './joystick.js';

const NOTICE_MS = 4_000;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`joystick page: #${id} missing`);
  return el as T;
}

function sessionStore(): KeyValueStore | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked: the id lives as long as the page
  }
}

const STATE_LABELS: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  offline: 'offline — retrying',
};

const WAITING_LABEL = 'connected · waiting for the show';

function boot(): void {
  const pad = byId<HTMLDivElement>('pad');
  const knob = byId<HTMLDivElement>('knob');
  const stateEl = byId<HTMLElement>('state');
  const noticeEl = byId<HTMLElement>('notice');
  const out = { x: byId('x'), y: byId('y'), speed: byId('speed'), angle: byId('angle') };

  const idleMs = idleMsFromSearch(location.search);
  let connectionState: ConnectionState = 'connecting';
  let present = true;
  let listening = true;
  let noticeTimer: number | undefined;

  const renderState = (): void => {
    const live = connectionState === 'live';
    // Connected, but no TouchDesigner takes the updates yet: say so rather than "live".
    stateEl.textContent = live && !listening ? WAITING_LABEL : live && !present ? 'live · idle' : STATE_LABELS[connectionState];
    stateEl.dataset.state = connectionState;
    stateEl.dataset.present = String(present);
    stateEl.dataset.listening = String(listening);
  };

  const showNotice = (text: string): void => {
    noticeEl.textContent = text; // never innerHTML: relay text is untrusted
    noticeEl.hidden = false;
    if (noticeTimer !== undefined) window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(() => {
      noticeEl.hidden = true;
      noticeEl.textContent = '';
    }, NOTICE_MS);
  };

  const { session, connection } = createController({
    url: relayUrlFor(location),
    createSocket: (url) => new WebSocket(url),
    identity: new Identity(sessionStore()),
    idleMs,
    isOnline: () => navigator.onLine !== false,
    onState: (state) => {
      connectionState = state;
      renderState();
    },
    onPresence: (p) => {
      present = p;
      renderState();
    },
    onListening: (l) => {
      listening = l;
      renderState();
    },
    onNotice: showNotice,
    // The relay's colour for this phone: TouchDesigner can colour the user's instance with the same hue.
    onHue: (hue) => {
      knob.style.setProperty('--hue', String(hue));
      knob.dataset.hue = String(hue);
    },
  });

  // Geometry of the pad, measured when a drag starts (the layout does not change mid-drag).
  let centreX = 0;
  let centreY = 0;
  let radiusPx = 1;
  const measure = (): void => {
    const r = pad.getBoundingClientRect();
    centreX = r.left + r.width / 2;
    centreY = r.top + r.height / 2;
    radiusPx = r.width / 2;
  };

  const render = (v: JoystickValues): void => {
    const { dx, dy } = knobOffsetPx(v, radiusPx);
    knob.style.transform = `translate(calc(-50% + ${dx}px), calc(-50% + ${dy}px))`;
    out.x.textContent = String(Math.round(v.x));
    out.y.textContent = String(Math.round(v.y));
    out.speed.textContent = String(Math.round(v.speed));
    out.angle.textContent = String(Math.round(v.angle) % 360);
  };

  const frames = new FrameCoalescer<JoystickValues>(
    (cb) => window.requestAnimationFrame(() => cb()),
    (v) => {
      render(v);
      session.move(v);
    },
    { minIntervalMs: SIXTY_HZ_INTERVAL_MS, now: () => performance.now() },
  );

  let activePointer: number | null = null;

  const track = (e: PointerEvent): void => {
    frames.push(valuesFromOffset(e.clientX - centreX, e.clientY - centreY, radiusPx));
  };

  const release = (): void => {
    if (activePointer === null) return;
    const id = activePointer;
    activePointer = null;
    pad.classList.remove('dragging');
    try {
      if (pad.hasPointerCapture(id)) pad.releasePointerCapture(id);
    } catch {
      // pointer already gone
    }
    frames.push(ZERO); // knob back to centre and a zero update, in the next frame
    session.setPressed(false);
  };

  pad.addEventListener('pointerdown', (e) => {
    // First pointer only: a second finger neither steals nor jolts the knob.
    if (activePointer !== null) return;
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    activePointer = e.pointerId;
    try {
      pad.setPointerCapture(e.pointerId);
    } catch {
      // synthetic or already-released pointer: moves still arrive while over the pad
    }
    measure();
    pad.classList.add('dragging');
    session.setPressed(true);
    track(e);
  });
  pad.addEventListener('pointermove', (e) => {
    if (e.pointerId === activePointer) track(e);
  });
  const end = (e: PointerEvent): void => {
    if (e.pointerId === activePointer) release();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  pad.addEventListener('lostpointercapture', end);
  // Long-press menus and iOS pinch gestures would steal the drag.
  pad.addEventListener('contextmenu', (e) => e.preventDefault());
  document.addEventListener('gesturestart', (e) => e.preventDefault());
  document.addEventListener(
    'touchmove',
    (e) => {
      if (activePointer !== null) e.preventDefault();
    },
    { passive: false },
  );

  window.addEventListener('online', () => connection.wake());
  window.addEventListener('offline', () => connection.networkLost());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      connection.wake();
      return;
    }
    // Hidden pages get no animation frames: let go of the knob and send the zero update at once.
    release();
    frames.flushNow();
  });
  window.addEventListener('pagehide', (e) => {
    if (!e.persisted) connection.stop();
  });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) connection.start();
  });

  if (idleMs !== DEFAULT_IDLE_MS) document.documentElement.dataset.idleMs = String(idleMs);
  renderState();
  render(ZERO);
  connection.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
