/**
 * Who a connection comes from, as every per-address rule of the relay counts it (README, "Behind a proxy or a
 * NAT"). An IPv4-mapped IPv6 address is the IPv4 address it maps (a dual-stack socket reports ::ffff:a.b.c.d);
 * an IPv6 client is counted by its /64, the smallest block a network hands one subscriber, so rotating through
 * its own addresses gains nothing. Behind a reverse proxy the address comes from X-Forwarded-For, but only from
 * peers in `--trust-proxy`: without it the proxy's address is the client, since anyone can write the header.
 */
import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';

export interface ClientAddress {
  /** The client's address, canonical (IPv4 dotted quad, or compressed IPv6). */
  readonly ip: string;
  /** What per-address limits count: the IPv4 address, or the IPv6 /64 as `prefix::/64`. */
  readonly key: string;
}

/** Which peers may tell the client's address in X-Forwarded-For. */
export type ProxyTrust = (addr: string, hop: number) => boolean;

const TRUST_NOBODY: ProxyTrust = () => false;

/**
 * Compiles `--trust-proxy` (addresses, CIDR blocks, or proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`); throws a TypeError naming a bad entry.
 */
export function compileProxyTrust(list: readonly string[] | undefined): ProxyTrust {
  return list === undefined || list.length === 0 ? TRUST_NOBODY : proxyAddr.compile([...list]);
}

/** The address canonical, IPv4-mapped IPv6 as IPv4; text that is no address stays as it is. */
export function canonicalIp(text: string): string {
  try {
    return ipaddr.process(text).toString();
  } catch {
    return text;
  }
}

export function addressOf(ip: string): ClientAddress {
  const canonical = canonicalIp(ip);
  let key = canonical;
  if (ipaddr.IPv6.isValid(canonical)) {
    const parts = ipaddr.IPv6.parse(canonical).parts.slice(0, 4);
    key = `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
  }
  return { ip: canonical, key };
}

/** The client behind an upgrade request. */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust): ClientAddress {
  // proxy-addr reads the socket's address and walks X-Forwarded-For only while each hop is trusted.
  const ip = trust === TRUST_NOBODY ? (req.socket.remoteAddress ?? '') : proxyAddr(req, trust);
  return addressOf(ip);
}
