/**
 * What a relay running as one worker of `relay --workers N` shares with the others, through the primary
 * (README, "Several cores: --workers"). The relay (relay.ts) sees only these types; the single-process relay
 * passes none of it and loads none of this folder's code.
 */
import type { AddressLedger } from '../clients.js';
import type { Connection } from '../connection.js';
import type { HttpRoutes } from '../http-routes.js';

/** A machine-wide per-address slot held by one upgrade, then by the connection it became. */
export interface Lease {
  readonly key: string;
  /** False when the primary did not answer in time: the worker's own caps alone apply to this connection. */
  readonly counted: boolean;
  /** Counted as a connection that has not said who it is yet (the machine-wide handshake cap). */
  unidentified: boolean;
  /** Holds one of the address's --max-per-address controller places (reserved at the upgrade). */
  controller: boolean;
}

/** Per-address caps across workers: asked at the upgrade, answered by the primary. */
export interface AddressLeases extends AddressLedger {
  /** A lease for an upgrade from `key`, or undefined when the address is at its cap (HTTP 429). */
  acquire(key: string): Promise<Lease | undefined>;
  /** The upgrade did not become a connection. */
  abandon(lease: Lease): void;
  /** The upgrade became this connection: the lease follows its role changes and ends with it. */
  bind(conn: Connection, lease: Lease): void;
}

export interface WorkerHooks {
  /** 1..N, stable across restarts of that worker. */
  readonly id: number;
  readonly leases: AddressLeases;
  /** /healthz and /metrics for the whole machine, given this worker's own. */
  routes(local: HttpRoutes): HttpRoutes;
  /** Operator lines (prefixed with the worker); the banner is the primary's. */
  write(line: string): void;
}
