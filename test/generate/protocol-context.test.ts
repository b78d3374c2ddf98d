/**
 * The protocol's limits reach the templates through the render context (`protocol.*`), taken from src/protocol,
 * and arrive in Python as the same values: what a strict template referencing them renders, run by python3.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileTemplate, renderContext, resolveOptions } from '../../src/generate/index.js';
import {
  ANGLE_MAX,
  COLUMNS_FLAG_DT,
  COLUMNS_FLAG_SEQ,
  COLUMNS_HEADER_BYTES,
  COLUMNS_MAGIC,
  COLUMNS_MAX_INDEX,
  COLUMNS_VERSION,
  DEFAULT_BURST,
  DEFAULT_RATE,
  ERROR_CODES,
  HUE_MAX,
  HUE_STEP,
  ID_PATTERN,
  MAX_BATCH_FRAME_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_FRAME_BYTES,
  MAX_SAFE_ID,
  PING,
  PONG,
  RIM,
  SPEED_MAX,
  TOKEN_PATTERN,
} from '../../src/protocol/index.js';
import { hasPython } from '../helpers/requirements.js';

const EXPECTED = {
  maxId: MAX_SAFE_ID,
  rim: RIM,
  speedMax: SPEED_MAX,
  angleMax: ANGLE_MAX,
  maxText: MAX_BATCH_FRAME_BYTES,
  maxBatch: MAX_BATCH_MESSAGES,
  pingText: PING,
  pongText: PONG,
  maxFrame: MAX_FRAME_BYTES,
  rate: DEFAULT_RATE,
  burst: DEFAULT_BURST,
  heartbeatS: 10,
  errorIntervalS: 1,
  errorCodes: [...ERROR_CODES],
  columnsMagic: COLUMNS_MAGIC,
  columnsVersion: COLUMNS_VERSION,
  columnsFlagSeq: COLUMNS_FLAG_SEQ,
  columnsFlagDt: COLUMNS_FLAG_DT,
  columnsHeaderBytes: COLUMNS_HEADER_BYTES,
  columnsMaxIndex: COLUMNS_MAX_INDEX,
  hueMax: HUE_MAX,
  hueStep: HUE_STEP,
};

describe('render context: protocol', () => {
  const context = renderContext(resolveOptions({}));

  it('holds exactly the names the templates use, with the protocol values', () => {
    const protocol = context.protocol as Record<string, unknown>;
    expect(Object.keys(protocol).sort()).toEqual([...Object.keys(EXPECTED), 'idPattern', 'tokenPattern'].sort());
    expect(`^${protocol.tokenPattern as string}$`).toBe(TOKEN_PATTERN);
    expect(protocol).toMatchObject(EXPECTED);
    expect(`^${protocol.idPattern as string}$`).toBe(ID_PATTERN);
    expect(protocol.maxId).toBe(2 ** 53 - 1);
    expect(protocol.maxText).toBe(4 * 1024 * 1024);
    // one source: the templates read the rim from `protocol` only
    expect(context.rim).toBeUndefined();
  });

  it('a template refuses a name the context does not have, as a value or as a helper argument', () => {
    expect(() => compileTemplate('{{{protocol.noSuchLimit}}}')(context)).toThrow(/noSuchLimit/);
    // Handlebars' strict mode alone lets a helper argument through as undefined (py would print None).
    expect(() => compileTemplate('x = {{{py protocol.noSuchLimit}}}')(context)).toThrow(/py got a name the render context does not have \(line 1, column 4\)/);
    expect(() => compileTemplate('# {{{comment noSuchName}}}')(context)).toThrow(/comment got a name/);
    expect(compileTemplate('{{{py sinkToken}}}')(context)).toBe('None');
  });

  it.skipIf(!hasPython())('renders into Python as the same numbers and strings, and the id pattern matches what the schema allows', () => {
    const names = Object.keys(EXPECTED);
    const ids = ['a', 'A-z_09', 'x'.repeat(64), 'x'.repeat(65), '', 'a b', 'é', '5', '-', 'a\n'];
    const source = [
      'import json, re',
      `values = dict(${names.map((n) => `${n}={{{py protocol.${n}}}}`).join(', ')})`,
      'ID_RE = re.compile({{{py protocol.idPattern}}})',
      `ids = {{{py ids}}}`,
      'print(json.dumps({"values": values, "ids": [bool(ID_RE.fullmatch(i)) for i in ids]}))',
    ].join('\n');
    const program = compileTemplate(source)({ ...context, ids });
    const out = JSON.parse(execFileSync('python3', ['-c', program], { encoding: 'utf8' })) as { values: unknown; ids: boolean[] };
    expect(out.values).toEqual(EXPECTED);
    const schemaId = new RegExp(ID_PATTERN);
    expect(out.ids).toEqual(ids.map((i) => schemaId.test(i)));
  });
});
