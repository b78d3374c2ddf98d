/**
 * What the relay asks of "the rest of the relay" when several instances act as one (README, "Scale-out with
 * Redis"). The relay talks only to this interface: without --redis it gets LocalCluster, which does nothing and
 * costs nothing on the hot path (dispatch checks `shared` once per claim, never per update).
 */
import type { OutKind } from '../out-queue.js';
import type { SliderId } from '../../protocol/index.js';

/** A user whose home is another instance, as this instance's sinks know it. */
export interface RemoteUser {
  readonly key: string;
  readonly id: SliderId;
  /** The instance that speaks for the user now. */
  home: string;
  /** The home before the last resume moved the user: its late frames are ignored. */
  previousHome?: string;
  connectText: string;
  updateText: string | undefined;
}

export type SharedClaim =
  /** The id was free everywhere: it is this instance's now. */
  | { kind: 'claimed' }
  /**
   * The resume token matched: the id moved here from `from` (another instance; its socket is closed there). `user`
   * is what this instance's sinks had for it (undefined when they had nothing), so the row carries on unbroken.
   */
  | { kind: 'resumed'; from: string; user: RemoteUser | undefined }
  | { kind: 'refused'; code: 'id_taken' | 'bad_resume' | 'unavailable'; message: string };

/** What the cluster needs of the relay it runs in. */
export interface ClusterHost {
  /** A frame from another instance's user, for this instance's sinks only. */
  deliver(key: string, kind: OutKind, text: string): void;
  /** Whether a local connection speaks for this id (the bus then ignores others' frames for it). */
  holds(key: string): boolean;
  /** This instance's users with the sinks' view of them (for resync and for other instances' snapshots). */
  localUsers(): Iterable<{ key: string; token: string; active: boolean; connectText: string; updateText: string | undefined }>;
  /**
   * Another instance resumed this id: close the local socket without a delete (sinks keep the row). Returns what the
   * sinks had for the user, so it stays in this instance's snapshots as a remote user.
   */
  takenAway(key: string): { id: SliderId; active: boolean; connectText: string; updateText: string | undefined } | undefined;
  /** Sinks elsewhere in the relay came or went (phones' listening status, /healthz). */
  sinksChanged(): void;
}

export interface ClusterStatus {
  /** Instances alive, this one included. */
  instances: number;
  /** Live users on every instance. */
  users: number;
  /** Sinks on every other instance. */
  sinksElsewhere: number;
  /** This instance reaches Redis and is in step with the others. */
  redisUp: boolean;
}

export interface Cluster {
  /** false: the single-process relay (ids are claimed locally only, nothing leaves the process). */
  readonly shared: boolean;
  /** This instance's name in the cluster (hostname-pid-random); 'local' without --redis. */
  readonly instanceId: string;
  /** One line for the operator (no password), or undefined without --redis. */
  readonly banner: string | undefined;
  /** Starts timers and the host wiring; called once, after the relay is listening. */
  attach(host: ClusterHost): void;
  /** Claims an id nobody holds on this instance (shared only). `token` is the fresh resume token to record. */
  claim(key: string, id: SliderId, resume: string | undefined, token: string): Promise<SharedClaim>;
  /** A local holder is gone: resolves true when the id was still this instance's (so its sinks get the delete). */
  release(key: string): Promise<boolean>;
  /** A local take-over gave the id a fresh token. */
  tokenChanged(key: string, token: string): void;
  /** A frame of a local user, for every other instance's sinks (batched per tick). */
  publish(kind: OutKind, key: string, text: string): void;
  /** This instance's sinks (WebSocket and OSC) changed: the count the others see. */
  localSinksChanged(count: number): void;
  /** Sinks on other instances (0 without --redis). */
  sinksElsewhere(): number;
  /** Other instances' live users, for the snapshot a new sink gets. */
  remoteUsers(): Iterable<RemoteUser>;
  /** A cluster-wide counter (Redis INCR; a plain counter without --redis), e.g. for the hue of each new phone. */
  counter(name: string): Promise<number>;
  status(localUsers: number): ClusterStatus;
  /** Prometheus lines about the cluster ('' without --redis). */
  metricsText(localUsers: number): string;
  close(): Promise<void>;
}

/** The single-process relay: nothing is shared, nothing is sent anywhere. */
export class LocalCluster implements Cluster {
  readonly shared = false;
  readonly instanceId = 'local';
  readonly banner = undefined;
  private readonly counters = new Map<string, number>();

  attach(): void {}
  claim(): Promise<SharedClaim> {
    return Promise.reject(new Error('LocalCluster.claim: ids are claimed locally without --redis'));
  }
  release(): Promise<boolean> {
    return Promise.resolve(true);
  }
  tokenChanged(): void {}
  publish(): void {}
  localSinksChanged(): void {}
  sinksElsewhere(): number {
    return 0;
  }
  *remoteUsers(): Iterable<RemoteUser> {}
  counter(name: string): Promise<number> {
    const n = (this.counters.get(name) ?? 0) + 1;
    this.counters.set(name, n);
    return Promise.resolve(n);
  }
  status(localUsers: number): ClusterStatus {
    return { instances: 1, users: localUsers, sinksElsewhere: 0, redisUp: false };
  }
  metricsText(): string {
    return '';
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
