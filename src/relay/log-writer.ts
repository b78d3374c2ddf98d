/**
 * `--log FILE.jsonl`: one LogEntry (src/protocol/log.ts) per frame in or out. Lines are built by string
 * concatenation (a frame that passed validation is embedded as its original JSON text, not re-serialised),
 * gathered in memory and written in chunks; `close()` flushes everything.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { PING, PONG, type ConnectionRole, type LogDirection } from '../protocol/index.js';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;
const MAX_PENDING_BYTES = 32 * 1024 * 1024;

export class LogWriter {
  private readonly stream: WriteStream;
  private chunks: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed: Error | undefined;
  /** Lines not written because the disk fell behind. */
  lost = 0;

  private constructor(stream: WriteStream) {
    this.stream = stream;
    // A full disk must not crash the relay; the error surfaces on close.
    stream.on('error', (err) => {
      this.failed = err;
    });
  }

  static async open(path: string): Promise<LogWriter> {
    const stream = createWriteStream(path, { flags: 'w' });
    await Promise.race([once(stream, 'open'), once(stream, 'error').then(([err]) => Promise.reject(err as Error))]);
    return new LogWriter(stream);
  }

  /**
   * @param json the frame is known to be valid JSON (it passed `parse`); otherwise it is tested here (slow path).
   */
  write(dir: LogDirection, conn: number, role: ConnectionRole, text: string, json: boolean, drop?: string): void {
    const msg = json ? embedJson(text) : embedUnknown(text);
    let entry = `{"ts":${Date.now()},"dir":"${dir}","conn":${conn},"role":"${role}","msg":${msg}`;
    if (drop !== undefined) entry += `,"drop":${JSON.stringify(drop)}`;
    entry += '}\n';
    this.chunks.push(entry);
    this.size += entry.length;
    if (this.size >= FLUSH_BYTES) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const lines = this.chunks;
    this.chunks = [];
    this.size = 0;
    if (lines.length === 0 || this.failed) return;
    // A disk slower than the traffic must not grow memory without bound: past the cap, lines are lost (counted).
    if (this.stream.writableLength > MAX_PENDING_BYTES) {
      if (this.lost === 0) process.stderr.write('tdcrowd relay: the log cannot keep up with the traffic; dropping log lines\n');
      this.lost += lines.length;
      return;
    }
    this.stream.write(lines.join(''));
  }

  async close(): Promise<void> {
    this.flush();
    if (this.stream.closed) return;
    const finished = once(this.stream, 'close').catch(() => undefined);
    this.stream.end();
    await finished;
  }
}

/** Valid JSON text goes in verbatim unless it spans lines (JSONL needs one line per entry). */
function embedJson(text: string): string {
  if (text === PING || text === PONG) return JSON.stringify(text);
  if (text.charCodeAt(0) === 123 /* { */ && !text.includes('\n') && !text.includes('\r')) return text;
  return JSON.stringify(JSON.parse(text));
}

function embedUnknown(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(text);
  }
}
