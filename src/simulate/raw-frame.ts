/**
 * The generator's fast path: a client text frame built in one buffer and written straight to the socket under
 * a `ws` client. `ws.send` costs a string→Buffer copy, a separate header buffer and a two-buffer writev per
 * frame; at tens of thousands of frames per second that is ~10% of the generator's CPU.
 *
 * Safe only because the generator's sockets never compress (perMessageDeflate: false) and never send blobs, so
 * `ws`'s own sender (which still answers pings) writes whole frames synchronously and never holds a queue we
 * could overtake. The socket is `ws`'s private `_socket`; without it, callers fall back to `ws.send`.
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';

/** The socket under an open `ws` client, when this `ws` version exposes it. */
export function rawSocket(ws: WebSocket): Duplex | undefined {
  const socket = (ws as unknown as { _socket?: unknown })._socket;
  return socket !== null && typeof socket === 'object' && typeof (socket as Duplex).write === 'function' ? (socket as Duplex) : undefined;
}

/** Counts a socket under its local (source) address, as the server sees the client. */
export function countSource(bySource: Record<string, number>, socket: Duplex | undefined): void {
  const address = (socket as { localAddress?: unknown } | undefined)?.localAddress;
  const key = typeof address === 'string' ? address : 'unknown';
  bySource[key] = (bySource[key] ?? 0) + 1;
}

/**
 * A final, masked text frame for an ASCII payload (our frames: numbers and integer ids). The masking key is
 * all zeros — a valid key that leaves the payload as is; the relay unmasks it like any other.
 */
export function maskedTextFrame(ascii: string): Buffer {
  const len = ascii.length;
  const head = len < 126 ? 6 : 8;
  const buf = Buffer.allocUnsafe(head + len);
  buf[0] = 0x81;
  if (len < 126) {
    buf[1] = 0x80 | len;
  } else {
    buf[1] = 0x80 | 126;
    buf[2] = len >>> 8;
    buf[3] = len & 0xff;
  }
  buf[head - 4] = 0;
  buf[head - 3] = 0;
  buf[head - 2] = 0;
  buf[head - 1] = 0;
  buf.write(ascii, head, len, 'latin1');
  return buf;
}

/** Longest payload `maskedTextFrame` handles (16-bit length); protocol frames are at most 1 KiB. */
export const MAX_RAW_PAYLOAD = 65535;
