/**
 * `tdcrowd asyncapi` prints an AsyncAPI 3 document that @asyncapi/parser accepts without errors or warnings, and
 * that is the protocol itself: its payloads are the JSON Schema's definitions, its operations the directions
 * table, its close codes the relay's. Runs the built CLI (`npm run build` first; `npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, DIRECTIONS, protocolSchema, RIM } from '../../src/protocol/index.js';
import { VERSION } from '../../src/version.js';
import { CLI } from '../helpers/paths.js';


let text: string;
let raw: {
  asyncapi: string;
  info: { version: string };
  channels: Record<string, { address: string; messages: Record<string, unknown>; 'x-close-codes': unknown }>;
  operations: Record<string, { action: string; messages: Array<{ $ref: string }> }>;
  components: { schemas: Record<string, unknown>; messages: Record<string, { payload: unknown; contentType: string }> };
};
let document: AsyncAPIDocumentInterface | undefined;
let diagnostics: Array<{ severity: number; code: string | number; message: string }>;

beforeAll(async () => {
  const r = spawnSync(process.execPath, [CLI, 'asyncapi'], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  text = r.stdout;
  raw = JSON.parse(text) as typeof raw;
  ({ document, diagnostics } = await new Parser().parse(text));
});

describe('tdcrowd asyncapi', () => {
  it('is an AsyncAPI 3 document the AsyncAPI parser accepts, with no error or warning', () => {
    expect(raw.asyncapi).toMatch(/^3\./);
    expect(diagnostics.filter((d) => d.severity <= 1)).toEqual([]);
    expect(document).toBeDefined();
    expect(raw.info.version).toBe(VERSION);
  });

  it('has the one WebSocket endpoint, carrying every message of the protocol', () => {
    expect(document!.channels().all().map((c) => c.address())).toEqual(['/']);
    const kinds = new Set(Object.values(DIRECTIONS).flat());
    expect(Object.keys(raw.channels.relay!.messages).sort()).toEqual([...kinds].sort());
    expect(document!.servers().all().map((s) => s.protocol())).toEqual(['ws']);
  });

  it('has one operation per direction of the directions table, with exactly its messages', () => {
    const ops = Object.values(raw.operations).map((o) => [o.action, o.messages.map((m) => m.$ref.split('/').at(-1)).sort()]);
    expect(ops).toEqual(
      Object.entries(DIRECTIONS).map(([direction, list]) => [direction.startsWith('relay') ? 'send' : 'receive', [...list].sort()]),
    );
    expect(document!.operations().all()).toHaveLength(Object.keys(DIRECTIONS).length);
  });

  it('takes its payloads from the JSON Schema, not from a copy', () => {
    expect(raw.components.schemas).toEqual(JSON.parse(JSON.stringify(protocolSchema.definitions)));
    for (const [name, m] of Object.entries(raw.components.messages)) {
      if (name === 'ping' || name === 'pong') expect(m.contentType).toBe('text/plain');
      else expect(m.payload).toEqual({ $ref: `#/components/schemas/${name}` });
    }
    // As the parser resolves it: the update's x is bounded by the rim.
    const x = document!.components().messages().get('update')!.payload()!.properties()!.x!;
    expect([x.minimum(), x.maximum()]).toEqual([-RIM, RIM]);
  });

  it('lists the close codes with their meanings', () => {
    expect(raw.channels.relay!['x-close-codes']).toEqual(Object.entries(CLOSE_CODES).map(([name, c]) => ({ code: c.code, name, meaning: c.meaning })));
    expect(text).toContain('| 4000 | takenOver |');
  });
});
