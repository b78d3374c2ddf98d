/**
 * Reads a file line by line as a stream, so a log of any size needs only one line in memory.
 *
 * Splits Buffers itself rather than using node:readline: readline decodes first, which hides invalid UTF-8
 * behind U+FFFD and cannot bound a line that never ends. Here each line is checked for UTF-8 and a line longer
 * than `maxLineBytes` is skipped (its length counted) instead of accumulated.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Unreadable } from './types.js';

export type Line =
  | { number: number; text: string }
  | { number: number; problem: 'not_utf8' }
  | { number: number; problem: 'too_long'; bytes: number };

const LF = 0x0a;
const CR = 0x0d;
/** How much of a file is sniffed for NUL bytes to tell text from binary (git and grep use the same idea). */
const SNIFF_BYTES = 8192;

export class UnreadableFile extends Error {
  constructor(readonly unreadable: Unreadable) {
    super(unreadable.message);
  }
}

/** Opens a file for line reading, or throws UnreadableFile (missing, directory, binary, no permission). */
export async function openTextFile(path: string): Promise<Readable> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new UnreadableFile(describeFsError(err));
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new UnreadableFile({ code: 'EISDIR', message: 'is a directory' });
    if (!stat.isFile()) throw new UnreadableFile({ code: 'ENOTFILE', message: 'is not a regular file' });
    const sniff = Buffer.alloc(Math.min(SNIFF_BYTES, stat.size));
    const { bytesRead } = await handle.read(sniff, 0, sniff.length, 0);
    if (sniff.subarray(0, bytesRead).includes(0)) {
      throw new UnreadableFile({ code: 'BINARY', message: 'is not a text file (contains NUL bytes)' });
    }
  } catch (err) {
    await handle.close();
    throw err instanceof UnreadableFile ? err : new UnreadableFile(describeFsError(err));
  }
  // The stream takes the handle over and closes it when it ends or is destroyed.
  return createReadStream('', { fd: handle, start: 0, highWaterMark: 64 * 1024 });
}

/** The reader-facing words for a file-system error (exported for tests). */
export function describeFsError(err: unknown): Unreadable {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'EIO';
  const messages: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'is a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
  };
  return { code, message: messages[code] ?? e.message };
}

/** Yields the lines of a byte stream; `\n` and `\r\n` both end a line; a UTF-8 BOM at the start is skipped. */
export async function* readLines(stream: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = 0; // bytes of a too-long line seen so far (its content is not kept)
  let number = 0;
  let first = true;

  const finish = (tail: Buffer): Line => {
    number += 1;
    if (overflow > 0) {
      const bytes = overflow + tail.length;
      overflow = 0;
      return { number, problem: 'too_long', bytes };
    }
    let bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > maxLineBytes) return { number, problem: 'too_long', bytes: bytes.length };
    if (!isUtf8(bytes)) return { number, problem: 'not_utf8' };
    return { number, text: bytes.toString('utf8') };
  };

  for await (const raw of stream) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let start = 0;
    for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
      yield finish(chunk.subarray(start, nl));
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) continue;
    if (overflow > 0 || pendingBytes + rest.length > maxLineBytes + 1) {
      // +1 leaves room for a CR that will be stripped. Past the limit keep counting, stop keeping.
      overflow += pendingBytes + rest.length;
      pending = [];
      pendingBytes = 0;
    } else {
      // Copy: the stream may reuse its chunk buffer.
      pending.push(Buffer.from(rest));
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0 || overflow > 0) yield finish(Buffer.alloc(0));
}
