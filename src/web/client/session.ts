/**
 * The user's presence at the sink: claims the id (with the resume token) on every (re)connect, sends the
 * knob position with a sequence number and the sender's clock, and leaves after the idle timeout like the
 * tutorial page (delete after 10 s without movement; the next movement connects again).
 */
import type { Identity } from './identity.js';
import { connectFrame, deleteFrame, updateFrame } from '../../protocol/serialize.js';
import { isZero, ZERO, type JoystickValues } from './joystick.js';
import type { RelayEvent } from './messages.js';
import { realTimers, type Timers } from './timers.js';

export interface SessionOptions {
  identity: Identity;
  idleMs: number;
  /** Sends a frame if the socket is open; false otherwise. */
  send: (text: string) => boolean;
  timers?: Timers;
  /** Sender clock for `t` (epoch ms). */
  clock?: () => number;
  /** Short text for the user (relay errors). */
  onNotice?: (text: string) => void;
  /** Present at the sink (true) or idle-deleted (false). */
  onPresence?: (present: boolean) => void;
  /** The relay refused the claim: drop the socket and retry with backoff. */
  onRefused?: () => void;
  /**
   * Whether a sink receives the updates. Assumed on every (re)connect, since a relay says so only while none
   * does (and relays before the status message never do).
   */
  onListening?: (listening: boolean) => void;
  /** The colour the relay gave this phone (a hue, 0–359), from its welcome. */
  onHue?: (hue: number) => void;
}

export class ControllerSession {
  readonly #o: Required<SessionOptions>;
  #present = true;
  #pressed = false;
  #seq = 0;
  #last: JoystickValues = ZERO;
  #idleTimer: unknown;

  constructor(options: SessionOptions) {
    this.#o = {
      timers: realTimers,
      clock: Date.now,
      onNotice: () => undefined,
      onPresence: () => undefined,
      onRefused: () => undefined,
      onListening: () => undefined,
      onHue: () => undefined,
      ...options,
    };
  }

  get present(): boolean {
    return this.#present;
  }

  get sliderId(): string {
    return this.#o.identity.sliderId;
  }

  /** Socket open: claim the id (unless idle-deleted) and restore a knob still held off-centre. */
  handleOpen(): void {
    this.#o.onListening(true);
    if (!this.#present) return;
    this.#sendConnect();
    if (!isZero(this.#last)) this.#sendUpdate(this.#last);
    this.#armIdle();
  }

  /**
   * The relay handed our id to a connection holding our resume token that is not us: a duplicated tab. This
   * tab becomes a new user rather than fighting the other one for the id.
   */
  handleTakenOver(): void {
    this.#o.identity.renew();
    this.#o.onNotice('this joystick was opened in another tab; joined as a new user');
  }

  handleEvent(event: RelayEvent): void {
    if (event.kind === 'welcome') {
      if (String(event.sliderId) !== this.sliderId) return;
      this.#o.identity.setResume(event.resume);
      if (event.hue !== undefined) this.#o.onHue(event.hue);
      return;
    }
    if (event.kind === 'status') {
      this.#o.onListening(event.listening);
      return;
    }
    if (event.kind !== 'error') return;
    this.#o.onNotice(event.message ? `${event.code}: ${event.message}` : event.code);
    if (event.code === 'bad_resume') this.#o.identity.clearResume();
    if (event.code === 'id_taken' || event.code === 'bad_resume') this.#o.onRefused();
  }

  /** The knob moved (at most once per frame): come back if idle-deleted, send the position, restart the idle clock. */
  move(values: JoystickValues): void {
    if (!this.#present) {
      this.#present = true;
      this.#o.onPresence(true);
      this.#sendConnect();
    }
    this.#last = values;
    this.#sendUpdate(values);
    this.#armIdle();
  }

  /** While the knob is held the user is not idle, even if the finger keeps still. */
  setPressed(pressed: boolean): void {
    this.#pressed = pressed;
    this.#armIdle();
  }

  stop(): void {
    this.#clearIdle();
  }

  #sendConnect(): void {
    this.#o.send(connectFrame(this.sliderId, this.#o.identity.resume));
  }

  #sendUpdate(values: JoystickValues): void {
    this.#o.send(updateFrame({ ...values, sliderId: this.sliderId, seq: this.#seq, t: this.#o.clock() }));
    this.#seq += 1;
  }

  #armIdle(): void {
    this.#clearIdle();
    if (this.#pressed || !this.#present) return;
    this.#idleTimer = this.#o.timers.setTimeout(() => {
      this.#idleTimer = undefined;
      this.#goIdle();
    }, this.#o.idleMs);
  }

  #clearIdle(): void {
    if (this.#idleTimer !== undefined) this.#o.timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #goIdle(): void {
    if (!this.#present) return;
    this.#present = false;
    this.#last = ZERO;
    this.#o.send(deleteFrame(this.sliderId));
    this.#o.onPresence(false);
  }
}
