/**
 * The tables of docs/protocol.md, rendered from src/protocol: the doc test compares them with the file (and
 * rewrites the file with UPDATE_DOCS=1), so the notes cannot drift from the code.
 */
import {
  ANGLE_MAX,
  CLOSE_CODES,
  COLUMNS_MAX_INDEX,
  COLUMNS_VERSION,
  DEFAULT_BURST,
  DEFAULT_RATE,
  DELETE_REASON_MEANINGS,
  DIRECTIONS,
  ERROR_MEANINGS,
  ID_PATTERN,
  MAX_BATCH_FRAME_BYTES,
  MAX_BATCH_HZ,
  MIN_BATCH_HZ,
  MAX_BATCH_MESSAGES,
  MAX_ERROR_MESSAGE,
  MAX_FRAME_BYTES,
  MAX_SAFE_ID,
  MAX_SINK_TOKEN,
  MIN_SINK_TOKEN,
  PING,
  PONG,
  protocolSchema,
  RIM,
  SPEED_MAX,
  TOKEN_PATTERN,
  type Direction,
} from '../../src/protocol/index.js';

const FROM_TO: Record<Direction, string> = {
  controllerToRelay: 'phone → relay',
  sinkToRelay: 'sink → relay',
  relayToSink: 'relay → sink',
  relayToController: 'relay → phone',
};

interface ObjectSchema {
  description?: string;
  properties: Record<string, { const?: unknown }>;
  required: readonly string[];
}

const code = (s: string): string => `\`${s.replace(/\|/g, '\\|')}\``;

function fields(schema: ObjectSchema): string {
  return Object.entries(schema.properties)
    .map(([name, p]) => {
      const optional = schema.required.includes(name) ? '' : '?';
      return code(p.const === undefined ? `${name}${optional}` : `${name}${optional}: ${JSON.stringify(p.const)}`);
    })
    .join(', ');
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function messagesTable(): string {
  const defs = protocolSchema.definitions as unknown as Record<string, ObjectSchema>;
  const rows: string[][] = [];
  for (const [direction, kinds] of Object.entries(DIRECTIONS) as [Direction, readonly string[]][]) {
    for (const kind of kinds) {
      if (kind === PING || kind === PONG) {
        rows.push([FROM_TO[direction], kind, `the bare text ${code(kind)}`, kind === PING ? `keep-alive; answer ${code(PONG)}` : `answer to ${code(PING)}`]);
        continue;
      }
      const schema = defs[kind]!;
      rows.push([FROM_TO[direction], kind, fields(schema), schema.description ?? '']);
    }
  }
  return table(['from → to', 'message', 'fields (`?` optional)', 'meaning'], rows);
}

export function limitsTable(): string {
  const rows: Array<[string, string | number, string]> = [
    ['RIM', RIM, 'x and y are in −RIM…RIM joystick units (the pad rim, the tutorial radius)'],
    ['SPEED_MAX', SPEED_MAX, 'speed is 0…SPEED_MAX, percent of the rim'],
    ['ANGLE_MAX', ANGLE_MAX, 'angle is 0…ANGLE_MAX degrees, counter-clockwise from +x with y up'],
    ['MAX_SAFE_ID', MAX_SAFE_ID, 'largest integer sliderId (2^53 − 1)'],
    ['ID_PATTERN', ID_PATTERN, 'a string sliderId'],
    ['TOKEN_PATTERN', TOKEN_PATTERN, 'a resume token'],
    ['MAX_FRAME_BYTES', MAX_FRAME_BYTES, 'largest frame a client may send, and largest single message (UTF-8 bytes)'],
    ['MAX_BATCH_FRAME_BYTES', MAX_BATCH_FRAME_BYTES, 'largest relay → sink frame (a batch): what a sink must be ready to parse'],
    ['MAX_BATCH_MESSAGES', MAX_BATCH_MESSAGES, 'most messages in one batch frame'],
    ['MIN_BATCH_HZ', MIN_BATCH_HZ, 'lowest batchHz a sink may ask for (a batch is at most a second old)'],
    ['MAX_BATCH_HZ', MAX_BATCH_HZ, 'highest batchHz a sink may ask for'],
    ['COLUMNS_VERSION', COLUMNS_VERSION, 'layout version of the binary column batches (f32-columns)'],
    ['COLUMNS_MAX_INDEX', COLUMNS_MAX_INDEX, 'indices an f32-columns sink gets are 0…COLUMNS_MAX_INDEX − 1'],
    ['MAX_ERROR_MESSAGE', MAX_ERROR_MESSAGE, "longest error frame's message"],
    ['MAX_SINK_TOKEN', MAX_SINK_TOKEN, "longest sink token in a hello"],
    ['MIN_SINK_TOKEN', MIN_SINK_TOKEN, 'shortest sink token a relay accepts to start with (`--sink-token`)'],
    ['DEFAULT_RATE', DEFAULT_RATE, 'messages per second one connection may send (relay default, `--rate`)'],
    ['DEFAULT_BURST', DEFAULT_BURST, 'messages one connection may send at once (relay default, `--burst`)'],
  ];
  return table(['name', 'value', 'meaning'], rows.map(([n, v, m]) => [code(n), code(String(v)), m]));
}

export function closeCodesTable(): string {
  return table(['code', 'name', 'meaning'], Object.entries(CLOSE_CODES).map(([name, c]) => [String(c.code), code(name), c.meaning]));
}

export function errorCodesTable(): string {
  return table(['code', 'meaning'], Object.entries(ERROR_MEANINGS).map(([c, meaning]) => [code(c), meaning]));
}

export function deleteReasonsTable(): string {
  return table(['reason', 'meaning'], Object.entries(DELETE_REASON_MEANINGS).map(([r, meaning]) => [code(r), meaning]));
}

export const DOC_TABLES: Record<string, () => string> = {
  messages: messagesTable,
  limits: limitsTable,
  'close-codes': closeCodesTable,
  'error-codes': errorCodesTable,
  'delete-reasons': deleteReasonsTable,
};
