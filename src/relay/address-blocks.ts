/**
 * Lists of address blocks a client address is matched against: `--sink-from`, and this machine's own addresses
 * (the default of `--sink-from`).
 */
import type { NetworkInterfaceInfo } from 'node:os';
import ipaddr from 'ipaddr.js';
import { canonicalIp } from './client-address.js';

type Block = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** What `os.networkInterfaces()` returns; tests pass their own. */
export type InterfaceList = NodeJS.Dict<NetworkInterfaceInfo[]>;

export class AddressBlocks {
  private constructor(
    private readonly blocks: readonly Block[],
    /** The entries as given, for messages. */
    readonly text: readonly string[],
  ) {}

  /** Addresses (a block of one) and CIDR blocks, IPv4 or IPv6; throws a TypeError naming a bad entry. */
  static parse(entries: readonly string[]): AddressBlocks {
    const blocks = entries.map((entry): Block => {
      const e = entry.trim();
      try {
        if (e.includes('/')) {
          const [addr, bits] = ipaddr.parseCIDR(e);
          return unmapped(addr, bits);
        }
        const addr = ipaddr.parse(e);
        return unmapped(addr, addr.kind() === 'ipv4' ? 32 : 128);
      } catch {
        throw new TypeError(`not an address or CIDR block: ${JSON.stringify(entry)}`);
      }
    });
    return new AddressBlocks(blocks, entries.map((e) => e.trim()));
  }

  /**
   * This machine's own addresses: each interface's own address, and the whole block of an internal (loopback)
   * interface, since every address of 127.0.0.0/8 reaches this machine. A LAN interface counts with its own
   * address only: the rest of its subnet is other machines.
   */
  static ownAddresses(interfaces: InterfaceList): AddressBlocks {
    const entries: string[] = [];
    for (const list of Object.values(interfaces)) {
      for (const a of list ?? []) entries.push(a.internal && a.cidr !== null ? a.cidr : a.address);
    }
    return AddressBlocks.parse(entries.filter((e) => isAddressOrBlock(e)));
  }

  has(ip: string): boolean {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = ipaddr.parse(canonicalIp(ip));
    } catch {
      return false;
    }
    for (const [base, bits] of this.blocks) {
      if (base.kind() === addr.kind() && addr.match(base, bits)) return true;
    }
    return false;
  }
}

function isAddressOrBlock(text: string): boolean {
  return ipaddr.isValid(text) || ipaddr.isValidCIDR(text);
}

/** An IPv4-mapped IPv6 block is the IPv4 block, as client addresses are. */
function unmapped(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): Block {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)];
  }
  return [addr, bits];
}
