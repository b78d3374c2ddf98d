/**
 * Who speaks for which id (docs/protocol.md, "Identity"). An id belongs to the live connection that first claimed
 * it; another connection gets it only with the id's resume token (take-over) or once the holder is gone.
 * Ids compare by their user key (src/protocol/user-key.ts), so 5 and "5" are one user.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { relayConnectFrame, UpdateFrameWriter, userKey, type SliderId, type UpdateMessage } from '../protocol/index.js';
import { HueBook } from './hue.js';

/**
 * Whatever may hold an id (a connection): Identity only sets and clears its `user`, so it needs to know no more
 * of a connection than this.
 */
export interface IdHolder<O> {
  /** The id this holder claimed; it may speak for no other. */
  user: UserRecord<O> | undefined;
}

export interface UserRecord<O> {
  /** The id's user key (String(sliderId)): 5 and "5" are one user. */
  readonly key: string;
  /** The id as the user first claimed it. */
  readonly id: SliderId;
  owner: O;
  token: string;
  /** The phone's colour (hue.ts), in its welcome and in the connect sinks get; kept across take-overs. */
  readonly hue: number;
  /** The sinks have this user (false after the phone's own delete, until it moves again). */
  active: boolean;
  /** The connect the sinks got for this user (without the resume token), replayed in snapshots. */
  readonly connectText: string;
  /** Writes the updates the sinks get for this user, with the id as first claimed (5 and "5" are one user). */
  readonly updates: UpdateFrameWriter;
  /** Latest update, replayed in snapshots. */
  updateText: string | undefined;
  /** Its validated fields, replayed in column-batch snapshots. */
  update: UpdateMessage | undefined;
}

export type ClaimResult<O> =
  | { kind: 'claimed'; user: UserRecord<O> }
  | { kind: 'resumed'; user: UserRecord<O>; previous: O }
  | { kind: 'refused'; code: 'id_taken' | 'bad_resume'; message: string };

export function newResumeToken(): string {
  return randomBytes(18).toString('base64url');
}

/** Constant-time comparison for tokens and secrets. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Identity<O extends IdHolder<O>> {
  private readonly users = new Map<string, UserRecord<O>>();
  private activeCount = 0;

  constructor(
    private readonly hues: HueBook = new HueBook(),
    /** Put the hue in the connect sinks get (off in broadcast mode, which keeps the tutorial relay's frames). */
    private readonly hueToSinks = true,
  ) {}

  /** Users the sinks currently have. */
  get active(): number {
    return this.activeCount;
  }

  get(key: string): UserRecord<O> | undefined {
    return this.users.get(key);
  }

  *activeUsers(): IterableIterator<UserRecord<O>> {
    for (const u of this.users.values()) if (u.active) yield u;
  }

  claim(conn: O, id: SliderId, resume: string | undefined): ClaimResult<O> {
    const key = userKey(id);
    const held = this.users.get(key);
    if (held === undefined) return { kind: 'claimed', user: this.create(conn, key, id, newResumeToken()) };
    if (resume === undefined) {
      return { kind: 'refused', code: 'id_taken', message: `id ${JSON.stringify(id)} is in use by another connection` };
    }
    if (!sameSecret(resume, held.token)) {
      return { kind: 'refused', code: 'bad_resume', message: `wrong resume token for id ${JSON.stringify(id)}` };
    }
    const previous = held.owner;
    previous.user = undefined;
    held.owner = conn;
    // A fresh token each time: a token seen once (e.g. in a stolen log) cannot be replayed forever.
    held.token = newResumeToken();
    conn.user = held;
    return { kind: 'resumed', user: held, previous };
  }

  /**
   * relay --redis: the cluster granted this connection an id no local connection held, with `token`. `sinksHave` is
   * what the sinks already show for it (a user resumed from another instance), so its row carries on.
   */
  adopt(conn: O, id: SliderId, token: string, sinksHave?: { updateText: string | undefined }, hue?: number): UserRecord<O> {
    const user = this.create(conn, userKey(id), id, token, hue);
    if (sinksHave !== undefined) {
      this.setActive(user, true);
      user.updateText = sinksHave.updateText;
    }
    return user;
  }

  /** relay --redis: another instance resumed the id; it is no longer this instance's (no delete: the row lives on). */
  forget(key: string): UserRecord<O> | undefined {
    const user = this.users.get(key);
    if (user === undefined) return undefined;
    this.users.delete(key);
    if (user.owner.user === user) user.owner.user = undefined;
    if (user.active) this.activeCount--;
    return user;
  }

  private create(conn: O, key: string, id: SliderId, token: string, shared?: number): UserRecord<O> {
    const hue = shared === undefined ? this.hues.hueFor(key) : this.hues.remember(key, shared);
    const user: UserRecord<O> = {
      key,
      id,
      owner: conn,
      token,
      hue,
      active: false,
      connectText: relayConnectFrame(id, this.hueToSinks ? hue : undefined),
      updates: new UpdateFrameWriter(id),
      updateText: undefined,
      update: undefined,
    };
    this.users.set(key, user);
    conn.user = user;
    return user;
  }

  /** Users this instance holds, active or not (relay --redis asserts them all after a reconnect). */
  values(): IterableIterator<UserRecord<O>> {
    return this.users.values();
  }

  setActive(user: UserRecord<O>, active: boolean): void {
    if (user.active === active) return;
    user.active = active;
    this.activeCount += active ? 1 : -1;
    if (!active) {
      user.updateText = undefined;
      user.update = undefined;
    }
  }

  /** The connection is gone: its id is free again. Returns the user it held, if any. */
  release(conn: O): UserRecord<O> | undefined {
    const user = conn.user;
    if (user === undefined) return undefined;
    conn.user = undefined;
    if (user.owner !== conn || this.users.get(user.key) !== user) return undefined;
    this.users.delete(user.key);
    return user;
  }
}
