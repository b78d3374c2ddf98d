/**
 * The f32-columns options of `generate` (issue 16): `--encoding f32-columns` makes the WebSocket DAT callbacks ask
 * the relay for binary column batches, applied with numpy into per-slot arrays; `--table-hz H` is how often the
 * Table DAT's values are refreshed from those arrays. JSON stays the default, so td/ keeps today's scripts.
 */
import { ENCODINGS } from '../protocol/index.js';

export type SinkEncoding = (typeof ENCODINGS)[number];

/** Table DAT refreshes per second when --table-hz is not given (only changed rows, spread over the frames). */
export const DEFAULT_TABLE_HZ = 5;
export const MAX_TABLE_HZ = 60;

interface ColumnsRaw {
  encoding?: unknown;
  tableHz?: unknown;
}

interface ColumnsResolved {
  encoding: SinkEncoding;
  tableHz?: number;
  target: string;
  mode: string;
  batchHz?: number;
}

/** Checks and fills `o.encoding` and `o.tableHz`; returns the one-line problem, or undefined when they are fine. */
export function columnsOptionsProblem(raw: ColumnsRaw, o: ColumnsResolved): string | undefined {
  if (raw.encoding !== undefined) {
    if (!(ENCODINGS as readonly unknown[]).includes(raw.encoding)) {
      return `--encoding must be one of ${ENCODINGS.join(', ')}; got ${JSON.stringify(raw.encoding)}`;
    }
    o.encoding = raw.encoding as SinkEncoding;
  }
  if (o.encoding === 'f32-columns') {
    if (o.target !== 'websocket' || o.mode !== 'route') {
      return '--encoding f32-columns is asked for in the sink hello: it needs --target websocket and --mode route';
    }
    // the relay refuses an f32-columns hello without batchHz: one binary frame per tick needs a tick
    if (o.batchHz === undefined) return '--encoding f32-columns needs --batch-hz (one binary frame per batch tick), e.g. --batch-hz 60';
  }
  if (raw.tableHz !== undefined) {
    if (o.encoding !== 'f32-columns') return '--table-hz applies to --encoding f32-columns only (the JSON path writes the table per message)';
    const hz = typeof raw.tableHz === 'number' ? raw.tableHz : typeof raw.tableHz === 'string' && raw.tableHz.trim() !== '' ? Number(raw.tableHz) : Number.NaN;
    if (!(hz >= 0 && hz <= MAX_TABLE_HZ)) return `--table-hz must be from 0 (never) to ${MAX_TABLE_HZ} refreshes per second; got ${JSON.stringify(raw.tableHz)}`;
    o.tableHz = hz;
  } else if (o.encoding === 'f32-columns') {
    o.tableHz = DEFAULT_TABLE_HZ;
  }
  return undefined;
}
