/**
 * What the operator sees on stdout while the show runs (`--quiet` silences it): one line when a sink connects
 * or goes, and a status line every few seconds (phones, sinks, messages per second, drops since the last line).
 * Plain text, one line per event, with the local time: readable in a terminal and in a service's journal alike.
 */
import type { Connection } from './connection.js';
import type { RoleCounts } from './clients.js';

export interface StatusSnapshot {
  connections: RoleCounts;
  /** Connections receiving the phones' updates (sinks; in broadcast mode listeners too). */
  receivers: number;
  messagesIn: number;
  messagesOut: number;
  dropped: Record<string, number>;
}

/** A status line is skipped when nothing moved and nothing changed, but one goes out at least this often. */
const IDLE_LINE_MS = 60_000;

const CLOSE_WORDS: Record<number, string> = {
  1000: 'closed normally',
  1001: 'going away',
  1005: 'closed without a code',
  1006: 'connection lost',
};

function clock(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export class OperatorLog {
  private timer: NodeJS.Timeout | undefined;
  private last: { at: number; in: number; out: number; dropped: Record<string, number>; key: string } | undefined;
  private lastLineAt = 0;
  private readonly closeCodes = new WeakMap<Connection, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs: number,
    private readonly snapshot: () => StatusSnapshot,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.last = this.take(this.now());
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The socket's close code, noted before the connection leaves its role (for the sink's disconnect line). */
  noteClose(conn: Connection, code: number): void {
    this.closeCodes.set(conn, code);
  }

  sinkChanged(conn: Connection, joined: boolean, batchHz: number | undefined): void {
    const s = this.snapshot();
    const sinks = plural(s.connections.sink, 'sink');
    if (joined) {
      const how = batchHz === undefined ? 'every frame' : `batches at ${batchHz} Hz`;
      this.line(`sink #${conn.id} connected (${how}); ${sinks} now`);
      return;
    }
    const code = this.closeCodes.get(conn);
    const why = code === undefined ? '' : ` (${code}${CLOSE_WORDS[code] === undefined ? '' : ` ${CLOSE_WORDS[code]}`})`;
    const after = s.receivers === 0 ? 'no sink now: phones show "waiting for the show", their updates reach no one' : `${sinks} now`;
    this.line(`sink #${conn.id} disconnected${why}; ${after}`);
  }

  /** One status line (exported for tests; the timer calls it every interval). */
  tick(): void {
    const at = this.now();
    const cur = this.take(at);
    const prev = this.last ?? cur;
    this.last = cur;
    const secs = Math.max(0.001, (at - prev.at) / 1000);
    const inRate = (cur.in - prev.in) / secs;
    const outRate = (cur.out - prev.out) / secs;
    const drops = Object.entries(cur.dropped)
      .map(([reason, n]) => [reason, n - (prev.dropped[reason] ?? 0)] as const)
      .filter(([, n]) => n > 0);
    const quiet = inRate === 0 && outRate === 0 && drops.length === 0 && cur.key === prev.key;
    if (quiet && at - this.lastLineAt < IDLE_LINE_MS) return;
    const s = this.snapshot();
    const dropText = drops.length === 0 ? 'no drops' : `dropped ${drops.map(([r, n]) => `${n} ${r}`).join(', ')}`;
    const sinkText = s.receivers === 0 ? `${plural(s.connections.sink, 'sink')} (nobody receives the updates)` : plural(s.connections.sink, 'sink');
    this.line(`${plural(s.connections.controller, 'phone')}, ${sinkText}, ${Math.round(inRate)} msgs/s in, ${Math.round(outRate)} out, ${dropText}`);
  }

  private take(at: number): { at: number; in: number; out: number; dropped: Record<string, number>; key: string } {
    const s = this.snapshot();
    const c = s.connections;
    return { at, in: s.messagesIn, out: s.messagesOut, dropped: { ...s.dropped }, key: `${c.controller}/${c.sink}/${c.unknown}` };
  }

  private line(text: string): void {
    this.lastLineAt = this.now();
    this.write(`[${clock(new Date(this.lastLineAt))}] ${text}\n`);
  }
}
