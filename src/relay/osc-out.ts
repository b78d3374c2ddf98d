/**
 * OSC output (`relay --osc HOST:PORT`, repeatable): every connect, update and delete the sinks get also goes to
 * each OSC target over UDP, so TouchDesigner's OSC In DAT/CHOP, or any OSC tool, can be a sink.
 *
 * Addresses (OSC 1.0; ids as OSC strings, since they can exceed int32; numbers as float32):
 *   /tdcrowd/connect  s:id i:hue                        a user joined (no position yet), with its phone's hue
 *   /tdcrowd/update   s:id f:x f:y f:speed f:angle      values exactly as the phone sent them
 *   /tdcrowd/delete   s:id s:reason                     client | closed | timeout
 *
 * Delivery: with `hz` > 0 (default 30) the messages of one tick go as OSC bundles (timetag "immediately"), the
 * latest update per user since the previous tick (a delete or connect is kept, in order), each bundle packed to
 * fit one datagram of at most `maxDatagram` bytes; with `hz` 0 each message is its own datagram, sent at once.
 * Each target has a token bucket of `rate` messages a second: over it, updates wait (and are replaced by newer
 * ones) for a later tick, counted as `osc_rate`. UDP may lose datagrams, so every `snapshotMs` the latest state
 * of every live user is sent again (a lost delete is healed by the receiver's own timeout: the generated OSC In
 * DAT callbacks prune users silent for longer than --timeout, and a live user is refreshed by the snapshot).
 *
 * Messages are encoded when they leave (a coalesced update is never encoded). Connects and deletes are encoded by
 * node-osc; updates, the hot path, from node-osc's own encoding of the address and type tags with the id and the
 * four float32s written after it (node-osc's general encoder costs ~4 µs a message, this ~0.5 µs, measured on this machine; a test checks
 * both give the same bytes). A bundle is framed here from the encoded messages (OSC 1.0: "#bundle", a timetag,
 * then each element's size and bytes), so each message is encoded once, to measure and to pack it.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { Message, encode } from 'node-osc';
import type { DeleteReason, SliderId } from '../protocol/index.js';
import type { RelayMetrics } from './metrics.js';

export const OSC_ADDRESS = { connect: '/tdcrowd/connect', update: '/tdcrowd/update', delete: '/tdcrowd/delete' } as const;

export interface OscTargetSpec {
  host: string;
  port: number;
}

export interface OscOutOptions {
  targets: readonly OscTargetSpec[];
  /** Bundles per second (latest update per user per tick); 0: one datagram per message, sent at once. */
  hz: number;
  /** Messages per second per target. */
  rate: number;
  /** Largest datagram, bytes (1400: no IP fragmentation on an Ethernet LAN). */
  maxDatagram: number;
  /** Interval of the full re-send of every live user, ms; 0 disables it. */
  snapshotMs: number;
}

export const OSC_DEFAULTS = { hz: 30, rate: 100_000, maxDatagram: 1400, snapshotMs: 2000 } as const;

/** `HOST:PORT` or `[IPv6]:PORT`; throws Error with a message naming the flag. */
export function parseOscTarget(text: string): OscTargetSpec {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([A-Za-z0-9._-]{1,253}):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`--osc takes HOST:PORT (e.g. 127.0.0.1:7000 or [::1]:7000), got ${JSON.stringify(text)}`);
  }
  return { host: m[1]!, port };
}

/** A message waiting to leave, encoded when it does. */
export type OscItem =
  | { kind: 'connect'; id: string; hue: number }
  | { kind: 'update'; id: string; x: number; y: number; speed: number; angle: number }
  | { kind: 'delete'; id: string; reason: DeleteReason };

/** One user's pending state for a target (as the sink queues keep it: a delete, a connect, the latest update). */
interface Pending {
  del: OscItem | undefined;
  con: OscItem | undefined;
  upd: OscItem | undefined;
}

/** node-osc's encoding of '/tdcrowd/update' ,sffff with an empty id: the address and type tags are its first bytes. */
const UPDATE_TEMPLATE = encode(
  new Message(OSC_ADDRESS.update, { type: 's', value: '' }, { type: 'f', value: 0 }, { type: 'f', value: 0 }, { type: 'f', value: 0 }, { type: 'f', value: 0 }),
);
const UPDATE_PREFIX = UPDATE_TEMPLATE.subarray(0, UPDATE_TEMPLATE.length - 4 - 16);

/** An update as OSC bytes, the same node-osc's encode gives (ids are ASCII: [A-Za-z0-9_-] or digits). */
export function encodeUpdate(id: string, x: number, y: number, speed: number, angle: number): Buffer {
  const padded = (id.length + 4) & ~3; // the string, its NUL, padded to 4 bytes
  const at = UPDATE_PREFIX.length;
  const buf = Buffer.alloc(at + padded + 16);
  UPDATE_PREFIX.copy(buf, 0);
  buf.write(id, at, 'latin1');
  const f = at + padded;
  buf.writeFloatBE(x, f);
  buf.writeFloatBE(y, f + 4);
  buf.writeFloatBE(speed, f + 8);
  buf.writeFloatBE(angle, f + 12);
  return buf;
}

export function encodeItem(item: OscItem): Buffer {
  if (item.kind === 'update') return encodeUpdate(item.id, item.x, item.y, item.speed, item.angle);
  if (item.kind === 'connect') return encode(new Message(OSC_ADDRESS.connect, { type: 's', value: item.id }, { type: 'i', value: item.hue }));
  return encode(new Message(OSC_ADDRESS.delete, { type: 's', value: item.id }, { type: 's', value: item.reason }));
}

const BUNDLE_HEADER = Buffer.concat([Buffer.from('#bundle\0', 'ascii'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])]);

class Target {
  readonly pending = new Map<string, Pending>();
  private tokens: number;
  private last: number;
  private drain: NodeJS.Timeout | undefined;

  constructor(
    readonly label: string,
    private readonly address: string,
    private readonly port: number,
    private readonly socket: dgram.Socket,
    private readonly o: OscOutOptions,
    private readonly metrics: RelayMetrics,
  ) {
    this.tokens = o.rate;
    this.last = performance.now();
  }

  private take(n: number): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.o.rate, this.tokens + ((now - this.last) * this.o.rate) / 1000);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  push(key: string, msg: OscItem): void {
    const kind = msg.kind;
    if (this.o.hz === 0 && this.pending.size === 0 && this.take(1)) {
      this.send(encodeItem(msg), 1);
      return;
    }
    let p = this.pending.get(key);
    if (p === undefined) {
      p = { del: undefined, con: undefined, upd: undefined };
      this.pending.set(key, p);
    }
    if (kind === 'update') {
      if (p.upd !== undefined) this.metrics.oscCoalesced++;
      p.upd = msg;
    } else if (kind === 'connect') {
      p.con = msg;
    } else {
      p.del = msg;
      p.con = undefined;
      p.upd = undefined;
    }
    if (this.o.hz === 0 && this.drain === undefined) {
      // over the rate with per-message datagrams: drain what waits as tokens come back
      this.drain = setInterval(() => this.flush(), 20);
      this.drain.unref();
    }
  }

  /** Sends what is pending, within the rate, in datagrams of at most maxDatagram bytes. */
  flush(): void {
    if (this.pending.size === 0) {
      if (this.drain !== undefined) clearInterval(this.drain);
      this.drain = undefined;
      return;
    }
    const parts: Buffer[] = [];
    for (const [key, p] of this.pending) {
      const n = (p.del ? 1 : 0) + (p.con ? 1 : 0) + (p.upd ? 1 : 0);
      if (!this.take(n)) break;
      if (p.del) parts.push(encodeItem(p.del));
      if (p.con) parts.push(encodeItem(p.con));
      if (p.upd) parts.push(encodeItem(p.upd));
      this.pending.delete(key);
    }
    if (this.pending.size > 0) this.metrics.drop('osc_rate', this.pending.size);
    if (this.o.hz === 0) {
      for (const part of parts) this.send(part, 1);
      return;
    }
    this.sendBundles(parts);
  }

  private sendBundles(parts: Buffer[]): void {
    let group: Buffer[] = [];
    let size = BUNDLE_HEADER.length;
    const out = (): void => {
      if (group.length === 0) return;
      const frame: Buffer[] = [BUNDLE_HEADER];
      for (const g of group) {
        const len = Buffer.allocUnsafe(4);
        len.writeUInt32BE(g.length, 0);
        frame.push(len, g);
      }
      this.send(Buffer.concat(frame, size), group.length);
      group = [];
      size = BUNDLE_HEADER.length;
    };
    for (const part of parts) {
      if (size + 4 + part.length > this.o.maxDatagram) out();
      if (BUNDLE_HEADER.length + 4 + part.length > this.o.maxDatagram) {
        this.send(part, 1); // a message too big for any bundle goes alone
        continue;
      }
      group.push(part);
      size += 4 + part.length;
    }
    out();
  }

  private send(datagram: Buffer, messages: number): void {
    this.metrics.oscDatagrams++;
    this.metrics.oscMessages += messages;
    this.socket.send(datagram, this.port, this.address, (err) => {
      if (err) this.metrics.oscErrors++;
    });
  }

  close(): void {
    if (this.drain !== undefined) clearInterval(this.drain);
    this.pending.clear();
  }
}

/** What the snapshot re-sends: the relay's live users, with their latest update text. */
export interface OscUserSource {
  activeUsers(): Iterable<{ key: string; id: SliderId; hue: number; updateText: string | undefined }>;
}

export class OscOut {
  private readonly targets: Target[] = [];
  private readonly sockets: dgram.Socket[] = [];
  private tick: NodeJS.Timeout | undefined;
  private snap: NodeJS.Timeout | undefined;

  private constructor(
    private readonly o: OscOutOptions,
    private readonly metrics: RelayMetrics,
  ) {}

  /** Resolves every target's host once and opens one UDP socket per address family. */
  static async open(o: OscOutOptions, metrics: RelayMetrics, users: OscUserSource): Promise<OscOut> {
    const out = new OscOut(o, metrics);
    const byFamily = new Map<number, dgram.Socket>();
    try {
      for (const t of o.targets) {
        let resolved: { address: string; family: number };
        try {
          resolved = await lookup(t.host);
        } catch (err) {
          throw new Error(`--osc ${t.host}:${t.port}: cannot resolve ${t.host} (${(err as Error).message})`);
        }
        let socket = byFamily.get(resolved.family);
        if (socket === undefined) {
          socket = dgram.createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
          socket.on('error', () => metrics.oscErrors++);
          socket.unref();
          byFamily.set(resolved.family, socket);
          out.sockets.push(socket);
        }
        out.targets.push(new Target(`${t.host}:${t.port}`, resolved.address, t.port, socket, o, metrics));
      }
    } catch (err) {
      out.close();
      throw err;
    }
    if (o.hz > 0) {
      out.tick = setInterval(() => out.flush(), Math.max(1, Math.round(1000 / o.hz)));
      out.tick.unref();
    }
    if (o.snapshotMs > 0) {
      out.snap = setInterval(() => out.snapshot(users), o.snapshotMs);
      out.snap.unref();
    }
    return out;
  }

  get size(): number {
    return this.targets.length;
  }

  get labels(): string[] {
    return this.targets.map((t) => t.label);
  }

  connect(key: string, id: SliderId, hue: number): void {
    this.push(key, { kind: 'connect', id: key, hue });
  }

  /** An update as the phone sent it (already validated by the relay). The key is the id as text. */
  update(key: string, id: SliderId, x: number, y: number, speed: number, angle: number): void {
    this.push(key, { kind: 'update', id: key, x, y, speed, angle });
  }

  remove(key: string, id: SliderId, reason: DeleteReason): void {
    this.push(key, { kind: 'delete', id: key, reason });
  }

  private push(key: string, msg: OscItem): void {
    for (const t of this.targets) t.push(key, msg);
  }

  flush(): void {
    for (const t of this.targets) t.flush();
  }

  /** Every live user again: its latest update, or its connect when it has not moved yet. */
  snapshot(users: OscUserSource): void {
    for (const u of users.activeUsers()) {
      const v = u.updateText === undefined ? undefined : (JSON.parse(u.updateText) as Record<string, number>);
      if (v === undefined) this.connect(u.key, u.id, u.hue);
      else this.update(u.key, u.id, v.x!, v.y!, v.speed!, v.angle!);
    }
  }

  close(): void {
    if (this.tick !== undefined) clearInterval(this.tick);
    if (this.snap !== undefined) clearInterval(this.snap);
    for (const t of this.targets) t.close();
    for (const s of this.sockets) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}
