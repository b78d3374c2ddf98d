/**
 * The primary's count of per-address places for the whole machine (`relay --workers N`), so `--max-per-address`
 * holds across workers as it does in one process (clients.ts): per client address, at most the cap of
 * connections that have not said who they are, and at most the cap of controllers.
 *
 * A worker asks at each upgrade (answered before the upgrade is accepted) and gives places back as its
 * connections change role or close. A controller place is reserved at the upgrade, when one is free, so the
 * worker can decide a phone's first connect at once, without a round trip. The one difference from a single
 * process: a connection opened while its address had every controller place taken cannot become a phone later
 * (it is refused with address_full and reconnects; the page retries on its own), though it may still become a
 * sink. Each operation is O(1); the maps hold only addresses with something counted, and a worker that dies
 * gives back everything it held.
 */

export interface Places {
  unidentified: number;
  controller: number;
}

export interface Grant {
  unidentified: boolean;
  controller: boolean;
}

export class MachineAddressLedger {
  private readonly total = new Map<string, Places>();
  private readonly byWorker = new Map<number, Map<string, Places>>();

  constructor(private readonly cap: number) {}

  /** Addresses with something counted. */
  get size(): number {
    return this.total.size;
  }

  /** The whole machine's places for `key` (tests, /metrics). */
  held(key: string): Places {
    const t = this.total.get(key);
    return { unidentified: t?.unidentified ?? 0, controller: t?.controller ?? 0 };
  }

  acquire(worker: number, key: string): Grant {
    const t = this.total.get(key) ?? { unidentified: 0, controller: 0 };
    if (t.unidentified >= this.cap) return { unidentified: false, controller: false };
    const controller = t.controller < this.cap;
    const w = this.workerEntry(worker, key);
    t.unidentified++;
    w.unidentified++;
    if (controller) {
      t.controller++;
      w.controller++;
    }
    this.total.set(key, t);
    return { unidentified: true, controller };
  }

  /** Gives back places `worker` held; never more than it holds, so a confused worker cannot free others'. */
  release(worker: number, key: string, unidentified: number, controller: number): void {
    const w = this.byWorker.get(worker)?.get(key);
    if (w === undefined) return;
    const u = Math.min(Math.max(0, unidentified), w.unidentified);
    const c = Math.min(Math.max(0, controller), w.controller);
    w.unidentified -= u;
    w.controller -= c;
    if (w.unidentified === 0 && w.controller === 0) this.byWorker.get(worker)!.delete(key);
    const t = this.total.get(key)!;
    t.unidentified -= u;
    t.controller -= c;
    if (t.unidentified === 0 && t.controller === 0) this.total.delete(key);
  }

  /** The worker exited: everything it held is free. */
  workerGone(worker: number): void {
    const held = this.byWorker.get(worker);
    if (held === undefined) return;
    for (const [key, p] of [...held]) this.release(worker, key, p.unidentified, p.controller);
    this.byWorker.delete(worker);
  }

  private workerEntry(worker: number, key: string): Places {
    let m = this.byWorker.get(worker);
    if (m === undefined) {
      m = new Map();
      this.byWorker.set(worker, m);
    }
    let p = m.get(key);
    if (p === undefined) {
      p = { unidentified: 0, controller: 0 };
      m.set(key, p);
    }
    return p;
  }
}
