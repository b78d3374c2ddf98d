/**
 * The bytes side of `--log`: one file, created 0600, appended to (or truncated when asked), rotated past a size
 * cap (FILE → FILE.1 → … → FILE.keep, the oldest removed), written one chunk at a time. A write that fails
 * (disk full, /dev/full, a file system gone read-only) loses that chunk, is reported through `onError`, and
 * the next chunk is tried again: the log must never take the relay down.
 */
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';

export interface LogFileOptions {
  /** Keep what the file holds (default); false truncates it when opened. */
  append: boolean;
  /** Rotate before a write would take the file past this many bytes; 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept beside the live one. */
  keep: number;
}

export interface LogFileEvents {
  /** A chunk of `lines` lines could not be written. */
  onError(err: NodeJS.ErrnoException, lines: number): void;
  /** A write succeeded after failures. */
  onRecovered(): void;
}

/** The rotated files of `path`, oldest first, then `path` itself: the order `validate` reads them in. */
export function rotatedSet(path: string, keep: number): string[] {
  const out: string[] = [];
  for (let i = keep; i >= 1; i--) out.push(`${path}.${i}`);
  out.push(path);
  return out;
}

/**
 * The highest connection number in the newest non-empty file of the rotated set, so a relay appending to a log
 * numbers its connections after the previous run's and `validate` does not take two runs' conn 1 for one
 * connection. Read once at start-up; the file is at most `maxBytes`.
 */
export async function highestConnection(path: string, keep: number): Promise<number> {
  for (const file of rotatedSet(path, keep).reverse()) {
    let size = 0;
    try {
      const st = await stat(file);
      if (!st.isFile()) return 0;
      size = st.size;
    } catch {
      continue;
    }
    if (size === 0) continue;
    let max = 0;
    let tail = '';
    const conn = /"conn":(\d+)/g;
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = tail + (chunk as string);
      conn.lastIndex = 0;
      for (let m = conn.exec(text); m !== null; m = conn.exec(text)) max = Math.max(max, Number(m[1]));
      tail = text.slice(-24);
    }
    return max;
  }
  return 0;
}

/** The file's last byte, read through a handle of its own (the log's is append-only); undefined if unreadable. */
async function lastByte(path: string, size: number): Promise<number | undefined> {
  const reader = await open(path, 'r').catch(() => undefined);
  if (reader === undefined) return undefined;
  try {
    const one = Buffer.alloc(1);
    const { bytesRead } = await reader.read(one, 0, 1, size - 1);
    return bytesRead === 1 ? one[0] : undefined;
  } finally {
    await reader.close();
  }
}

export class LogFile {
  private handle: FileHandle;
  private size: number;
  private readonly queue: { data: string; lines: number }[] = [];
  private writing: Promise<void> | undefined;
  private failing = false;
  /** Bytes waiting to be written. */
  pendingBytes = 0;

  private constructor(
    readonly path: string,
    private readonly options: LogFileOptions,
    private readonly events: LogFileEvents,
    handle: FileHandle,
    size: number,
    private readonly regular: boolean,
  ) {
    this.handle = handle;
    this.size = size;
  }

  static async open(path: string, options: LogFileOptions, events: LogFileEvents): Promise<LogFile> {
    const handle = await open(path, options.append ? 'a' : 'w', 0o600);
    try {
      const st = await handle.stat();
      if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path} is a folder`), { code: 'EISDIR' });
      let size = st.isFile() ? st.size : 0;
      // A previous run killed mid-write left a partial line: end it, so the first new entry is a line of its own.
      const last = options.append && size > 0 ? await lastByte(path, size) : undefined;
      if (last !== undefined && last !== 0x0a) size += (await handle.write('\n')).bytesWritten;
      return new LogFile(path, options, events, handle, size, st.isFile());
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  write(data: string, lines: number): void {
    this.queue.push({ data, lines });
    this.pendingBytes += data.length;
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    await this.handle.close().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    for (let chunk = this.queue.shift(); chunk !== undefined; chunk = this.queue.shift()) {
      this.pendingBytes -= chunk.data.length;
      const bytes = Buffer.from(chunk.data);
      try {
        if (this.regular && this.options.maxBytes > 0 && this.size > 0 && this.size + bytes.length > this.options.maxBytes) {
          await this.rotate();
        }
        let done = 0;
        while (done < bytes.length) done += (await this.handle.write(bytes, done, bytes.length - done)).bytesWritten;
        this.size += bytes.length;
        if (this.failing) {
          this.failing = false;
          this.events.onRecovered();
        }
      } catch (err) {
        this.failing = true;
        this.events.onError(err as NodeJS.ErrnoException, chunk.lines);
      }
    }
  }

  private async rotate(): Promise<void> {
    await this.handle.close();
    try {
      const files = rotatedSet(this.path, this.options.keep);
      // files[0] is the oldest kept; it makes room, then each moves one step older.
      await rm(files[0]!, { force: true });
      for (let i = 1; i < files.length; i++) {
        await rename(files[i]!, files[i - 1]!).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    } finally {
      // Even when a rename failed, keep a handle on the live file so later chunks can be tried.
      this.handle = await open(this.path, 'a', 0o600);
      this.size = (await this.handle.stat()).size;
    }
  }
}
