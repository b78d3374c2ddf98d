/**
 * Every open client connection and the role it has. Roles change only here, so the counts /metrics reports, the
 * controller cap, and the sets the router and presence walk cannot disagree.
 */
import type { Connection } from './connection.js';

export interface RoleCounts {
  controller: number;
  sink: number;
  unknown: number;
}

export class ClientRegistry {
  private readonly open = new Set<Connection>();
  /** Connections holding a controller slot (a taken-over one gives its slot back before it has closed). */
  private readonly controllerSlots = new Set<Connection>();
  private readonly sinkSet = new Set<Connection>();

  /** Called when a connection becomes a sink or a sink leaves (operator lines, phones' listening status). */
  onSinkChange: ((conn: Connection, joined: boolean) => void) | undefined;

  constructor(private readonly maxControllers: number) {}

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

  add(conn: Connection): void {
    this.open.add(conn);
  }

  /** The connection is gone: it leaves every role. */
  remove(conn: Connection): void {
    this.open.delete(conn);
    this.controllerSlots.delete(conn);
    if (this.sinkSet.delete(conn)) this.onSinkChange?.(conn, false);
  }

  /** A connection's first connect or update: false, and no role change, when every controller slot is taken. */
  becomeController(conn: Connection): boolean {
    if (this.controllerSlots.size >= this.maxControllers) return false;
    conn.role = 'controller';
    this.controllerSlots.add(conn);
    return true;
  }

  becomeSink(conn: Connection): void {
    conn.role = 'sink';
    this.sinkSet.add(conn);
    this.onSinkChange?.(conn, true);
  }

  /**
   * A controller whose id was taken over: it keeps its role until its socket has closed (its last frames are
   * logged as a controller's), but its slot is free at once, since a sleeping phone may never answer the close.
   */
  releaseSlot(conn: Connection): void {
    this.controllerSlots.delete(conn);
  }
}
