/**
 * Which source address each virtual phone connects from. A relay caps controllers per client address
 * (`--max-per-address`), so a crowd that all comes from 127.0.0.1 would be capped at a handful of phones.
 * When the relay is on IPv4 loopback, the whole of 127.0.0.0/8 reaches it (on Linux every address in it is
 * local with no set-up), so the phones spread over 127.0.0.2–127.0.0.254: 253 "machines" instead of one.
 * 127.0.0.1 stays for the sink and the admission probe, which must look like the operator's own machine.
 *
 * IPv6 loopback has a single address (::1), and a relay counts IPv6 clients per /64 anyway: a crowd aimed at
 * [::1] cannot be spread, and the report says so. A relay elsewhere sees this machine's one address, which
 * no local trick changes.
 */
import { lookup } from 'node:dns/promises';
import { isIP, createServer } from 'node:net';

/** The phones' range: 127.0.0.FIRST … 127.0.0.LAST. */
export const SPREAD_FIRST = 2;
export const SPREAD_LAST = 254;
const SPREAD_COUNT = SPREAD_LAST - SPREAD_FIRST + 1;

/** Plain data (it crosses to generator threads in workerData). */
export type SourcePlan =
  | { spread: true; range: string }
  | {
      spread: false;
      /** Why not, for the report. */
      reason: string;
      /** The relay is on this machine, so a per-address cap there applies to the whole crowd. */
      loopback: boolean;
    };

/** What `ws` gets for user n: the source address to bind and the address family to resolve the host in. */
export interface SourceOptions {
  localAddress?: string;
  family?: 4;
}

const NONE: SourceOptions = Object.freeze({});

/** Source options for the user numbered n (stable: the same user always comes from the same address). */
export function sourceFor(plan: SourcePlan, n: number): SourceOptions {
  if (!plan.spread) return NONE;
  return { localAddress: `127.0.0.${SPREAD_FIRST + (n % SPREAD_COUNT)}`, family: 4 };
}

/**
 * Decides once per run. A host name is resolved the way Node would connect to it (first answer): `localhost`
 * answering 127.0.0.1 spreads, answering ::1 does not. `canBind` is the check that this kernel lets a client
 * use 127.0.0.2 (Linux does; macOS has only 127.0.0.1 unless aliases are added).
 */
export async function planSources(url: string, canBind: () => Promise<boolean> = canBindLoopbackAlias): Promise<SourcePlan> {
  const host = hostOf(url);
  if (host === undefined) return { spread: false, reason: 'the relay URL has no host to examine', loopback: false };
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
    } catch {
      return { spread: false, reason: `${host} does not resolve here`, loopback: false };
    }
  }
  if (isIP(address) === 6) {
    return isIpv6Loopback(address)
      ? { spread: false, reason: `the relay is reached over IPv6 loopback (${address}), which has one address: every virtual phone comes from it (use ws://127.0.0.1 to spread)`, loopback: true }
      : { spread: false, reason: 'the relay is not on this machine: it sees this machine\'s one address', loopback: false };
  }
  if (!isIpv4Loopback(address)) {
    return { spread: false, reason: 'the relay is not on loopback: it sees this machine\'s one address', loopback: false };
  }
  if (!(await canBind())) {
    return { spread: false, reason: `this system does not let a client use 127.0.0.${SPREAD_FIRST} (on macOS: add loopback aliases); every virtual phone comes from 127.0.0.1`, loopback: true };
  }
  return { spread: true, range: `127.0.0.${SPREAD_FIRST}-127.0.0.${SPREAD_LAST}` };
}

export function isIpv4Loopback(address: string): boolean {
  return isIP(address) === 4 && address.startsWith('127.');
}

function isIpv6Loopback(address: string): boolean {
  const a = address.toLowerCase();
  return a === '::1' || a === '0:0:0:0:0:0:0:1' || (a.startsWith('::ffff:') && isIpv4Loopback(a.slice(7)));
}

function hostOf(url: string): string | undefined {
  try {
    const h = new URL(url).hostname;
    // URL keeps IPv6 literals in brackets.
    return h === '' ? undefined : h.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/** Binds (and releases) a socket on the first spread address: proof the kernel accepts it as local. */
function canBindLoopbackAlias(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, `127.0.0.${SPREAD_FIRST}`, () => s.close(() => resolve(true)));
  });
}
