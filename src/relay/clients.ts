/**
 * Every open client connection and the role it has. Roles change only here, so the counts /metrics reports, the
 * caps, and the sets the router and presence walk cannot disagree.
 *
 * Caps (README, "Behind a proxy or a NAT"): controllers in all and per client address; connections per address
 * that have not said who they are yet (upgrades in progress and silent sockets, so one machine cannot hold
 * thousands of half-open connections); sinks; and, in broadcast mode, silent listeners that receive the crowd.
 */
import type { Connection } from './connection.js';

export interface RoleCounts {
  controller: number;
  sink: number;
  unknown: number;
}

export interface ClientLimits {
  readonly maxControllers: number;
  readonly maxPerAddress: number;
  readonly maxSinks: number;
}

/**
 * Per-address places also counted outside this process (relay --workers: the primary counts them for the whole
 * machine, workers/address-leases.ts); told of every role change that frees or takes one.
 */
export interface AddressLedger {
  /** Whether the connection holds one of its address's controller places machine-wide. */
  mayControl(conn: Connection): boolean;
  /** The connection left 'unknown' for this role. */
  identified(conn: Connection, role: 'controller' | 'sink'): void;
  /** A taken-over controller gave its place back before its socket closed. */
  slotReleased(conn: Connection): void;
  /** The connection is gone. */
  removed(conn: Connection): void;
}

/** Why a role change was refused. */
export type Refusal = 'server_full' | 'address_full' | 'too_many_sinks';

interface PerAddress {
  controllers: number;
  /** Upgrades in progress and open connections still 'unknown'. */
  unidentified: number;
}

export class ClientRegistry {
  private readonly open = new Set<Connection>();
  /** Connections holding a controller slot (a taken-over one gives its slot back before it has closed). */
  private readonly controllerSlots = new Set<Connection>();
  private readonly sinkSet = new Set<Connection>();
  /** Broadcast mode: 'unknown' connections that receive frames. */
  private readonly listeners = new Set<Connection>();
  /** Only addresses with something counted: entries go when their counts reach zero. */
  private readonly perAddress = new Map<string, PerAddress>();

  /** Called when a connection becomes a sink or a sink leaves (operator lines, phones' listening status). */
  onSinkChange: ((conn: Connection, joined: boolean) => void) | undefined;

  constructor(
    private readonly limits: ClientLimits,
    private readonly ledger?: AddressLedger,
  ) {}

  /** Every open connection, whatever its role. */
  get all(): ReadonlySet<Connection> {
    return this.open;
  }

  /** Admitted sinks. */
  get sinks(): ReadonlySet<Connection> {
    return this.sinkSet;
  }

  get size(): number {
    return this.open.size;
  }

  counts(): RoleCounts {
    return {
      controller: this.controllerSlots.size,
      sink: this.sinkSet.size,
      unknown: this.open.size - this.controllerSlots.size - this.sinkSet.size,
    };
  }

  /**
   * An upgrade request arrived from `addressKey`: false when that address already has --max-per-address
   * connections that have not said who they are. Each true is matched by add() or handshakeFailed().
   */
  startHandshake(addressKey: string): boolean {
    const a = this.entry(addressKey);
    if (a.unidentified >= this.limits.maxPerAddress) {
      this.tidy(addressKey, a);
      return false;
    }
    a.unidentified++;
    return true;
  }

  /** The upgrade did not become a connection. */
  handshakeFailed(addressKey: string): void {
    const a = this.perAddress.get(addressKey);
    if (a === undefined) return;
    a.unidentified--;
    this.tidy(addressKey, a);
  }

  /** The upgrade became a connection (still unidentified, as counted by startHandshake). */
  add(conn: Connection): void {
    this.open.add(conn);
  }

  /** The connection is gone: it leaves every role and every count. */
  remove(conn: Connection): void {
    if (!this.open.delete(conn)) return;
    this.ledger?.removed(conn);
    const a = this.perAddress.get(conn.address.key);
    if (this.controllerSlots.delete(conn) && a !== undefined) a.controllers--;
    if (conn.role === 'unknown' && a !== undefined) a.unidentified--;
    if (this.sinkSet.delete(conn)) this.onSinkChange?.(conn, false);
    this.listeners.delete(conn);
    if (a !== undefined) this.tidy(conn.address.key, a);
  }

  /** A connection's first connect or update; on refusal its role stays as it was. */
  becomeController(conn: Connection): Refusal | undefined {
    if (this.controllerSlots.size >= this.limits.maxControllers) return 'server_full';
    const a = this.entry(conn.address.key);
    if (a.controllers >= this.limits.maxPerAddress) return 'address_full';
    if (this.ledger !== undefined && !this.ledger.mayControl(conn)) return 'address_full';
    a.controllers++;
    this.identified(conn, a);
    this.ledger?.identified(conn, 'controller');
    conn.role = 'controller';
    this.controllerSlots.add(conn);
    return undefined;
  }

  /** Whether one more sink fits (asked before a hello spends its address's snapshot budget). */
  hasSinkRoom(): boolean {
    return this.sinkSet.size < this.limits.maxSinks;
  }

  becomeSink(conn: Connection): Refusal | undefined {
    if (this.sinkSet.size >= this.limits.maxSinks) return 'too_many_sinks';
    const a = this.perAddress.get(conn.address.key);
    if (a !== undefined) this.identified(conn, a);
    if (conn.role === 'unknown') this.ledger?.identified(conn, 'sink');
    conn.role = 'sink';
    this.sinkSet.add(conn);
    this.onSinkChange?.(conn, true);
    return undefined;
  }

  /**
   * Broadcast mode: may this silent connection receive frames? At most --max-sinks listen at once, so silent
   * sockets cannot multiply what the relay sends; a phone is not held up by this, since it receives as a
   * controller once it speaks.
   */
  admitListener(conn: Connection): boolean {
    if (this.listeners.has(conn)) return true;
    if (conn.role !== 'unknown' || this.listeners.size >= this.limits.maxSinks) return false;
    this.listeners.add(conn);
    return true;
  }

  /**
   * A controller whose id was taken over: it keeps its role until its socket has closed (its last frames are
   * logged as a controller's), but its slot is free at once, since a sleeping phone may never answer the close.
   */
  releaseSlot(conn: Connection): void {
    if (!this.controllerSlots.delete(conn)) return;
    this.ledger?.slotReleased(conn);
    const a = this.perAddress.get(conn.address.key);
    if (a === undefined) return;
    a.controllers--;
    this.tidy(conn.address.key, a);
  }

  /** Leaves 'unknown': no longer counted as unidentified, nor as a listener. */
  private identified(conn: Connection, a: PerAddress): void {
    if (conn.role !== 'unknown') return;
    a.unidentified--;
    this.listeners.delete(conn);
  }

  private entry(key: string): PerAddress {
    let a = this.perAddress.get(key);
    if (a === undefined) {
      a = { controllers: 0, unidentified: 0 };
      this.perAddress.set(key, a);
    }
    return a;
  }

  private tidy(key: string, a: PerAddress): void {
    if (a.controllers <= 0 && a.unidentified <= 0) this.perAddress.delete(key);
  }
}
