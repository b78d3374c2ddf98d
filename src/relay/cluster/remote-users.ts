/**
 * The users other instances hold, as this instance's sinks know them: kept from the bus, so a sink that joins
 * here gets every live user of the relay in its snapshot, and a dead instance's users can be deleted here.
 */
import { connectFrame, type SliderId } from '../../protocol/index.js';
import type { RemoteUser } from './cluster.js';

/** The sliderId in a frame the relay made (connect, update, delete): only read when a user is first seen. */
function idOf(text: string): SliderId | undefined {
  try {
    const v = (JSON.parse(text) as { sliderId?: unknown }).sliderId;
    return typeof v === 'number' || typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export class RemoteUsers {
  private readonly users = new Map<string, RemoteUser>();

  get size(): number {
    return this.users.size;
  }

  get(key: string): RemoteUser | undefined {
    return this.users.get(key);
  }

  values(): IterableIterator<RemoteUser> {
    return this.users.values();
  }

  /** A connect from `home`. */
  connect(home: string, key: string, text: string): void {
    const id = idOf(text);
    if (id === undefined) return;
    this.users.set(key, { key, id, home, connectText: text, updateText: undefined });
  }

  /** An update from `home`; a user first seen by an update (its connect was missed) is added. */
  update(home: string, key: string, text: string): void {
    const u = this.users.get(key);
    if (u !== undefined) {
      u.home = home;
      u.updateText = text;
      return;
    }
    const id = idOf(text);
    if (id === undefined) return;
    this.users.set(key, { key, id, home, connectText: connectFrame(id), updateText: text });
  }

  set(u: RemoteUser): void {
    this.users.set(u.key, u);
  }

  delete(key: string): RemoteUser | undefined {
    const u = this.users.get(key);
    if (u !== undefined) this.users.delete(key);
    return u;
  }

  /** Keys of the users `home` holds. */
  keysOf(home: string): string[] {
    const keys: string[] = [];
    for (const u of this.users.values()) if (u.home === home) keys.push(u.key);
    return keys;
  }

  homes(): Set<string> {
    const s = new Set<string>();
    for (const u of this.users.values()) s.add(u.home);
    return s;
  }
}
