/**
 * DOM glue for the joystick page: pointer or tilt input → knob, readout and the shared client module
 * (tdcrowd-client.ts, which an artist's own page uses too). Everything with logic in it lives in the DOM-free
 * modules next to this one.
 */
import { DEFAULT_IDLE_MS, idleMsFromSearch } from './config.js';
import { knobOffsetPx, valuesFromOffset, ZERO, type JoystickValues } from './joystick.js';
import { connect, type Status } from './tdcrowd-client.js';
import { TiltTracker } from './tilt.js';

const NOTICE_MS = 4_000;
/** Tilt asked for but no reading with angles by then: no sensor (desktop) or the browser withholds it. */
const TILT_FIRST_READING_MS = 1_500;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`joystick page: #${id} missing`);
  return el as T;
}

/** iOS 13+ asks the person before it gives a page orientation; other browsers have no such function. */
type OrientationPermission = { requestPermission?: () => Promise<'granted' | 'denied' | 'default'> };

function boot(): void {
  const app = byId<HTMLElement>('app');
  const pad = byId<HTMLDivElement>('pad');
  const knob = byId<HTMLDivElement>('knob');
  const stateEl = byId<HTMLElement>('state');
  const noticeEl = byId<HTMLElement>('notice');
  const tiltButton = byId<HTMLButtonElement>('tilt');
  const out = { x: byId('x'), y: byId('y'), speed: byId('speed'), angle: byId('angle') };

  const idleMs = idleMsFromSearch(location.search);
  let noticeTimer: number | undefined;

  const showNotice = (text: string): void => {
    noticeEl.textContent = text; // never innerHTML: relay text is untrusted
    noticeEl.hidden = false;
    if (noticeTimer !== undefined) window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(() => {
      noticeEl.hidden = true;
      noticeEl.textContent = '';
    }, NOTICE_MS);
  };

  const renderState = (s: Status): void => {
    stateEl.textContent = s.label;
    stateEl.dataset.state = s.connection;
    stateEl.dataset.page = s.state;
    stateEl.dataset.present = String(s.present);
    stateEl.dataset.listening = String(s.listening);
    app.dataset.connected = String(s.connection === 'live');
  };

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

  const crowd = connect({ idleMs });
  crowd.on('status', renderState);
  crowd.on('notice', showNotice);
  // The relay's colour for this phone: TouchDesigner can colour the user's instance with the same hue.
  crowd.on('hue', (hue) => {
    knob.style.setProperty('--hue', String(hue));
    knob.dataset.hue = String(hue);
  });
  crowd.on('sent', render);

  let activePointer: number | null = null;
  let tilting = false;

  const track = (e: PointerEvent): void => {
    const v = valuesFromOffset(e.clientX - centreX, e.clientY - centreY, radiusPx);
    crowd.send(v);
  };

  const releasePointer = (): void => {
    if (activePointer === null) return;
    const id = activePointer;
    activePointer = null;
    pad.classList.remove('dragging');
    try {
      if (pad.hasPointerCapture(id)) pad.releasePointerCapture(id);
    } catch {
      // pointer already gone
    }
    crowd.release(); // knob back to centre and a zero update, in the next frame
  };

  pad.addEventListener('pointerdown', (e) => {
    // First pointer only: a second finger neither steals nor jolts the knob; tilt mode owns the knob.
    if (activePointer !== null || tilting) return;
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
    crowd.hold(true);
    track(e);
  });
  pad.addEventListener('pointermove', (e) => {
    if (e.pointerId === activePointer) track(e);
  });
  const end = (e: PointerEvent): void => {
    if (e.pointerId === activePointer) releasePointer();
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

  // Tilt mode: offered where the browser knows DeviceOrientation; the knob stays whenever tilt cannot work.
  const tracker = new TiltTracker();
  let firstReadingTimer: number | undefined;
  const screenAngle = (): number => (typeof screen !== 'undefined' && screen.orientation ? screen.orientation.angle : 0);

  const onOrientation = (e: DeviceOrientationEvent): void => {
    if (!tilting) return;
    const v = tracker.feed(e.beta, e.gamma, screenAngle());
    if (v === undefined) return;
    if (firstReadingTimer !== undefined) {
      window.clearTimeout(firstReadingTimer);
      firstReadingTimer = undefined;
      app.dataset.tilt = 'on';
    }
    measure();
    crowd.send(v);
  };

  const stopTilt = (why?: string): void => {
    if (firstReadingTimer !== undefined) window.clearTimeout(firstReadingTimer);
    firstReadingTimer = undefined;
    window.removeEventListener('deviceorientation', onOrientation);
    const was = tilting;
    tilting = false;
    pad.classList.remove('tilting');
    tiltButton.setAttribute('aria-pressed', 'false');
    tiltButton.textContent = 'Tilt to steer';
    app.dataset.tilt = 'off';
    if (was) crowd.release();
    if (why !== undefined) showNotice(why);
  };

  const startTilt = async (): Promise<void> => {
    releasePointer();
    const permission = (window as unknown as { DeviceOrientationEvent?: OrientationPermission }).DeviceOrientationEvent;
    if (typeof permission?.requestPermission === 'function') {
      let answer: string;
      try {
        answer = await permission.requestPermission(); // must run inside the tap: this handler is one
      } catch {
        answer = 'denied';
      }
      if (answer !== 'granted') {
        stopTilt('tilt was not allowed — steer with the knob');
        return;
      }
    }
    tilting = true;
    tracker.start();
    pad.classList.add('tilting');
    tiltButton.setAttribute('aria-pressed', 'true');
    tiltButton.textContent = 'Back to the knob';
    app.dataset.tilt = 'starting';
    crowd.hold(true);
    window.addEventListener('deviceorientation', onOrientation);
    firstReadingTimer = window.setTimeout(() => {
      firstReadingTimer = undefined;
      stopTilt(window.isSecureContext ? 'no tilt sensor here — steer with the knob' : 'tilt needs an https:// address — steer with the knob');
    }, TILT_FIRST_READING_MS);
  };

  // Offered on touch screens (phones, tablets) whose browser knows DeviceOrientation; a desktop has no tilt to give.
  if ('DeviceOrientationEvent' in window && window.matchMedia('(any-pointer: coarse)').matches) {
    tiltButton.hidden = false;
    app.dataset.tilt = 'off';
    tiltButton.addEventListener('click', () => {
      if (tilting) stopTilt();
      else void startTilt();
    });
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') return;
    // Hidden pages get no animation frames: the client sends the zero update at once; the UI lets go too.
    releasePointer();
    if (tilting) stopTilt();
  });

  if (idleMs !== DEFAULT_IDLE_MS) document.documentElement.dataset.idleMs = String(idleMs);
  renderState(crowd.status);
  render(ZERO);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
