/**
 * Who may be a sink (README, "Who may read the crowd"). A sink reads every phone's id and position, so a hello is
 * admitted only:
 * - from an allowed address: `--sink-from`, by default this machine's own addresses (loopback and the host's
 *   interfaces, so TouchDesigner on the relay's machine needs no set-up); with `--sink-token` and no
 *   `--sink-from`, from anywhere; in broadcast mode without either, from anywhere too, since every client there
 *   reads the crowd anyway (the tutorial relay's behaviour, which the banner warns about);
 * - with the token, when the relay has one;
 * - within the per-address hello rate, and outside the back-off that failed hellos earn their address;
 * - within the per-address snapshot rate: every admitted sink gets a snapshot of every user, so reconnecting in
 *   a loop must not make the relay send the crowd over and over.
 * Every refusal says how to fix it.
 */
import { CLOSE, TokenBucket, type ErrorCode } from '../protocol/index.js';
import { AddressBlocks, type InterfaceList } from './address-blocks.js';
import type { ClientAddress } from './client-address.js';
import { sameSecret } from './identity.js';

/** Why a hello was refused, as /metrics counts it. */
export const HELLO_REFUSALS = ['address', 'token', 'backoff', 'rate', 'full'] as const;
export type HelloRefusal = (typeof HELLO_REFUSALS)[number];

export type HelloVerdict =
  | { ok: true }
  | { ok: false; why: HelloRefusal; code: ErrorCode; message: string; closeCode: number; closeReason: string };

export interface SinkGateOptions {
  readonly sinkToken: string | undefined;
  readonly sinkFrom: readonly string[] | undefined;
  readonly broadcast: boolean;
  /** This machine's interfaces (os.networkInterfaces; tests inject theirs). Read again at each hello. */
  readonly interfaces: () => InterfaceList;
}

/** Hellos per address: a few at once (TouchDesigner and a dashboard starting together), then one a second. */
const HELLO_RATE = 1;
const HELLO_BURST = 8;
/** Snapshots per address: a restarting TouchDesigner gets its table at once, a reconnect loop one every 5 s. */
const SNAPSHOT_RATE = 0.2;
const SNAPSHOT_BURST = 4;
/** Back-off after failed hellos: 1 s, doubling per failure in a row, at most a minute. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
/** An address's state is forgotten this long after its last hello (its buckets are full again by then). */
const FORGET_MS = 120_000;

interface AddressState {
  readonly hellos: TokenBucket;
  readonly snapshots: TokenBucket;
  failures: number;
  blockedUntil: number;
  lastSeen: number;
}

export class SinkGate {
  private readonly fixed: AddressBlocks | undefined;
  private readonly states = new Map<string, AddressState>();
  private nextSweep = 0;

  constructor(private readonly o: SinkGateOptions) {
    this.fixed = o.sinkFrom === undefined ? undefined : AddressBlocks.parse(o.sinkFrom);
  }

  /** @param now performance.now() */
  admit(from: ClientAddress, token: string | undefined, now: number): HelloVerdict {
    const s = this.state(from.key, now);
    if (now < s.blockedUntil) {
      const wait = Math.ceil((s.blockedUntil - now) / 1000);
      const message = `too many failed sink hellos from ${from.ip}: wait ${wait} s (each failure from an address doubles its wait, up to a minute)`;
      return refuse('backoff', 'unauthorized', message, CLOSE.unauthorized);
    }
    if (!s.hellos.take(now)) {
      return refuse('rate', 'rate_limited', `too many sink hellos from ${from.ip}: try again in a few seconds`, CLOSE.tryAgainLater);
    }
    const addressProblem = this.addressProblem(from);
    if (addressProblem !== undefined) return this.failed(s, now, refuse('address', 'unauthorized', addressProblem, CLOSE.unauthorized));
    const expected = this.o.sinkToken;
    if (expected !== undefined && (token === undefined || !sameSecret(token, expected))) {
      const message =
        token === undefined
          ? 'this relay needs its sink token in hello: generate the callbacks with the same --sink-token as the relay'
          : "wrong sink token: generate the callbacks with the relay's --sink-token";
      return this.failed(s, now, refuse('token', 'unauthorized', message, CLOSE.unauthorized));
    }
    s.failures = 0;
    return { ok: true };
  }

  /** An admitted sink is about to get the snapshot: refused when sinks from its address reconnect too often. */
  snapshot(from: ClientAddress, now: number): HelloVerdict {
    if (this.state(from.key, now).snapshots.take(now)) return { ok: true };
    return refuse('rate', 'rate_limited', `sinks from ${from.ip} reconnect too often: try again in 5 s`, CLOSE.tryAgainLater);
  }

  private addressProblem(from: ClientAddress): string | undefined {
    if (this.fixed !== undefined) {
      return this.fixed.has(from.ip) ? undefined : `sinks may connect from ${this.fixed.text.join(', ')} only, not ${from.ip}: add it to the relay's --sink-from`;
    }
    // With a token, the token is the gate.
    if (this.o.sinkToken !== undefined || this.o.broadcast) return undefined;
    if (AddressBlocks.ownAddresses(this.o.interfaces()).has(from.ip)) return undefined;
    return (
      `sinks may connect only from the relay's own machine, not ${from.ip}: run TouchDesigner there, or start the ` +
      `relay with --sink-token auto (and generate with that token) or --sink-from ${from.ip}`
    );
  }

  private failed(s: AddressState, now: number, verdict: HelloVerdict): HelloVerdict {
    s.failures++;
    s.blockedUntil = now + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (s.failures - 1));
    return verdict;
  }

  private state(key: string, now: number): AddressState {
    if (now >= this.nextSweep) this.sweep(now);
    let s = this.states.get(key);
    if (s === undefined) {
      s = {
        hellos: new TokenBucket(HELLO_RATE, HELLO_BURST, now),
        snapshots: new TokenBucket(SNAPSHOT_RATE, SNAPSHOT_BURST, now),
        failures: 0,
        blockedUntil: 0,
        lastSeen: now,
      };
      this.states.set(key, s);
    }
    s.lastSeen = now;
    return s;
  }

  /** Forgets quiet addresses whose back-off is over, so the map is bounded by recent hellos. */
  private sweep(now: number): void {
    this.nextSweep = now + FORGET_MS;
    for (const [key, s] of this.states) if (now - s.lastSeen > FORGET_MS && now > s.blockedUntil) this.states.delete(key);
  }
}

function refuse(why: HelloRefusal, code: ErrorCode, message: string, closeCode: number): HelloVerdict {
  return { ok: false, why, code, message, closeCode, closeReason: why === 'rate' ? 'try again later' : 'not admitted as a sink' };
}
