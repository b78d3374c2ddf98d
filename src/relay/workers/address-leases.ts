/**
 * A worker's side of the machine-wide per-address count (address-ledger.ts has the rules): it asks the primary
 * at each upgrade and gives places back as its connections change role or close.
 *
 * If the primary is slow: an answer that has not come within `timeoutMs` lets the upgrade through under this
 * worker's own caps only (--max-per-address per worker, as in a single process); the show goes on, the lapse is
 * counted in /metrics and said once on stderr, and a grant that arrives late is given back at once. Waiting
 * answers are bounded (`maxPending`): past that, upgrades are refused (429) rather than queued.
 */
import type { Connection } from '../connection.js';
import type { AddressLeases, Lease } from './hooks.js';
import type { ToPrimary } from './messages.js';

interface Pending {
  key: string;
  resolve: (lease: Lease | undefined) => void;
  timer: NodeJS.Timeout;
}

export interface LeaseAnswer {
  req: number;
  key: string;
  unidentified: boolean;
  controller: boolean;
}

export class WorkerAddressLeases implements AddressLeases {
  private readonly pending = new Map<number, Pending>();
  private readonly held = new Map<Connection, Lease>();
  private nextReq = 1;
  /** Upgrades let through under this worker's caps alone because the primary did not answer in time. */
  timeouts = 0;
  /** Upgrades refused because too many answers were already awaited. */
  overflows = 0;
  private warned = false;

  constructor(
    private readonly send: (m: ToPrimary) => void,
    private readonly timeoutMs = 2000,
    private readonly maxPending = 4096,
    private readonly warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  acquire(key: string): Promise<Lease | undefined> {
    if (this.pending.size >= this.maxPending) {
      this.overflows++;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const req = this.nextReq++;
      const timer = setTimeout(() => {
        this.pending.delete(req);
        this.timeouts++;
        if (!this.warned) {
          this.warned = true;
          this.warn(`tdcrowd relay: the primary did not answer within ${this.timeoutMs} ms; per-address caps hold per worker until it does (counted in /metrics)`);
        }
        resolve({ key, counted: false, unidentified: false, controller: false });
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(req, { key, resolve, timer });
      this.send({ tdcrowd: 1, t: 'acquire', req, key });
    });
  }

  /** The primary's answer to an acquire. */
  answer(a: LeaseAnswer): void {
    const p = this.pending.get(a.req);
    if (p === undefined) {
      // Too late: the upgrade went ahead without it.
      this.give(a.key, a.unidentified, a.controller);
      return;
    }
    this.pending.delete(a.req);
    clearTimeout(p.timer);
    this.warned = false;
    p.resolve(a.unidentified ? { key: a.key, counted: true, unidentified: true, controller: a.controller } : undefined);
  }

  abandon(lease: Lease): void {
    this.end(lease);
  }

  bind(conn: Connection, lease: Lease): void {
    this.held.set(conn, lease);
  }

  mayControl(conn: Connection): boolean {
    const lease = this.held.get(conn);
    return lease === undefined || !lease.counted || lease.controller;
  }

  identified(conn: Connection, role: 'controller' | 'sink'): void {
    const lease = this.held.get(conn);
    if (lease === undefined) return;
    const u = lease.unidentified;
    // A sink takes no controller place.
    const c = role === 'sink' && lease.controller;
    lease.unidentified = false;
    if (c) lease.controller = false;
    this.give(lease.key, u, c, lease.counted);
  }

  slotReleased(conn: Connection): void {
    const lease = this.held.get(conn);
    if (lease === undefined || !lease.controller) return;
    lease.controller = false;
    this.give(lease.key, false, true, lease.counted);
  }

  removed(conn: Connection): void {
    const lease = this.held.get(conn);
    if (lease === undefined) return;
    this.held.delete(conn);
    this.end(lease);
  }

  /** Connections holding a lease (tests). */
  get size(): number {
    return this.held.size;
  }

  metricsText(): string {
    return [
      '# HELP tdcrowd_worker_lease_timeouts_total Upgrades admitted under one worker\'s per-address caps because the primary did not answer in time (--workers).',
      '# TYPE tdcrowd_worker_lease_timeouts_total counter',
      `tdcrowd_worker_lease_timeouts_total ${this.timeouts}`,
      '# HELP tdcrowd_worker_lease_overflows_total Upgrades refused (429) because too many answers from the primary were awaited (--workers).',
      '# TYPE tdcrowd_worker_lease_overflows_total counter',
      `tdcrowd_worker_lease_overflows_total ${this.overflows}`,
      '',
    ].join('\n');
  }

  private end(lease: Lease): void {
    const u = lease.unidentified;
    const c = lease.controller;
    lease.unidentified = false;
    lease.controller = false;
    this.give(lease.key, u, c, lease.counted);
  }

  private give(key: string, unidentified: boolean, controller: boolean, counted = true): void {
    if (!counted || (!unidentified && !controller)) return;
    this.send({ tdcrowd: 1, t: 'release', key, unidentified: unidentified ? 1 : 0, controller: controller ? 1 : 0 });
  }
}
