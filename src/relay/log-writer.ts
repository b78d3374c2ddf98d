/**
 * `--log FILE.jsonl`: one LogEntry (src/protocol/log.ts) per frame in or out, without secrets (log-redact.ts),
 * drops sampled per connection (drop-sampler.ts), written through LogFile (rotation, write errors).
 *
 * Lines are built by string concatenation (a frame that passed validation is embedded as its JSON text, not
 * re-serialised), gathered in memory and handed over in chunks. Lines written before `open()` wait in memory:
 * the relay creates the writer before it binds its port and opens the file only once the port is its own, so
 * a relay that cannot start never touches the log.
 */
import { binaryPlaceholder, PING, PONG, type ConnectionRole, type LogDirection } from '../protocol/index.js';
import { DropSampler } from './drop-sampler.js';
import { checkWritableFile } from '../common/writable.js';
import { highestConnection, LogFile, type LogFileOptions } from './log-file.js';
import { redactFrame } from './log-redact.js';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;
const MAX_PENDING_BYTES = 32 * 1024 * 1024;

export interface LogWriterOptions extends LogFileOptions {
  path: string;
}

export class LogWriter {
  private file: LogFile | undefined;
  private chunks: string[] = [];
  private size = 0;
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly sampler = new DropSampler();
  /** Chunks that failed to write. */
  writeErrors = 0;
  /** Lines not written: write errors, or the disk falling behind the traffic. */
  lost = 0;
  private warnedSlow = false;
  private warnedError = false;

  constructor(
    readonly options: LogWriterOptions,
    /** Where the one-line warnings go (stderr). */
    private readonly warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  /**
   * Before the port is bound: fails when the log could not be written (nothing is created), and returns the
   * highest connection number an appended log already holds (0 when none).
   */
  async prepare(): Promise<number> {
    checkWritableFile(this.options.path);
    return this.options.append ? highestConnection(this.options.path, this.options.keep) : 0;
  }

  /** After the port is bound: opens (creates 0600, appends or truncates) and writes what waited. */
  async open(): Promise<void> {
    this.file = await LogFile.open(this.options.path, this.options, {
      onError: (err, lines) => {
        this.writeErrors++;
        this.lost += lines;
        if (this.warnedError) return;
        this.warnedError = true;
        this.warn(`tdcrowd relay: cannot write the log ${this.options.path} (${err.code ?? err.message}); the relay keeps running, lost log lines are counted in /metrics`);
      },
      onRecovered: () => {
        this.warnedError = false;
        this.warn(`tdcrowd relay: the log ${this.options.path} is written again`);
      },
    });
    this.flush();
  }

  /**
   * @param json the frame is known to be valid JSON (it passed `parse`); otherwise it is tested here (slow path).
   */
  write(dir: LogDirection, conn: number, role: ConnectionRole, text: string, json: boolean, drop?: string): void {
    if (this.closed) return;
    const ts = Date.now();
    if (drop === undefined) {
      this.append(ts, dir, conn, role, text, json, undefined, 0);
      return;
    }
    const skipped = this.sampler.admit(conn, role, drop, text, ts, performance.now());
    if (skipped !== undefined) this.append(ts, dir, conn, role, text, json, drop, skipped);
  }

  /** A binary frame the relay sent (a column batch): its bytes in base64 under `bin`, a placeholder in `msg`. */
  writeBinary(conn: number, role: ConnectionRole, bytes: Uint8Array): void {
    if (this.closed) return;
    const bin = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const msg = JSON.stringify(binaryPlaceholder(bytes.byteLength));
    this.push(`{"ts":${Date.now()},"dir":"out","conn":${conn},"role":"${role}","msg":${msg},"bin":"${bin}"}\n`);
  }

  /** The connection ended: its drops held back by sampling are written now, with their counts. */
  connectionClosed(conn: number): void {
    if (this.closed) return;
    for (const d of this.sampler.release(conn)) this.append(d.ts, 'in', d.conn, d.role, d.text, false, d.reason, d.skipped);
  }

  /** Prometheus lines for /metrics. */
  metricsText(): string {
    return [
      '# HELP tdcrowd_log_write_errors_total Chunks of --log lines that could not be written (disk full, I/O error).',
      '# TYPE tdcrowd_log_write_errors_total counter',
      `tdcrowd_log_write_errors_total ${this.writeErrors}`,
      '# HELP tdcrowd_log_lines_lost_total --log lines not written: write errors, or the disk falling behind.',
      '# TYPE tdcrowd_log_lines_lost_total counter',
      `tdcrowd_log_lines_lost_total ${this.lost}`,
      '# HELP tdcrowd_log_drops_held Drops not logged yet: sampled, counted on a later drop line or when the connection ends.',
      '# TYPE tdcrowd_log_drops_held gauge',
      `tdcrowd_log_drops_held ${this.sampler.held}`,
      '',
    ].join('\n');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const d of this.sampler.releaseAll()) this.append(d.ts, 'in', d.conn, d.role, d.text, false, d.reason, d.skipped);
    this.closed = true;
    this.flush();
    await this.file?.close();
  }

  private append(ts: number, dir: LogDirection, conn: number, role: ConnectionRole, text: string, json: boolean, drop: string | undefined, skipped: number): void {
    const clean = redactFrame(text);
    const msg = json ? embedJson(clean) : embedUnknown(clean);
    let entry = `{"ts":${ts},"dir":"${dir}","conn":${conn},"role":"${role}","msg":${msg}`;
    if (drop !== undefined) entry += skipped > 0 ? `,"drop":${JSON.stringify(drop)},"skipped":${skipped}` : `,"drop":${JSON.stringify(drop)}`;
    entry += '}\n';
    this.push(entry);
  }

  private push(entry: string): void {
    this.chunks.push(entry);
    this.size += entry.length;
    this.lines++;
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
    if (this.file === undefined || this.chunks.length === 0) return;
    const data = this.chunks.join('');
    const lines = this.lines;
    this.chunks = [];
    this.size = 0;
    this.lines = 0;
    // A disk slower than the traffic must not grow memory without bound: past the cap, lines are lost (counted).
    if (this.file.pendingBytes > MAX_PENDING_BYTES) {
      if (!this.warnedSlow) {
        this.warnedSlow = true;
        this.warn('tdcrowd relay: the log cannot keep up with the traffic; dropping log lines (counted in /metrics)');
      }
      this.lost += lines;
      return;
    }
    this.file.write(data, lines);
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
