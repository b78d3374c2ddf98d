/** `generate --encoding f32-columns` and `--table-hz` (issue 16): what they need, what they refuse, and that the
 * default scripts do not change. */
import { describe, expect, it } from 'vitest';
import { GenerateOptionsError, renderScripts, resolveOptions } from '../../src/generate/index.js';

const callbacks = (raw: Parameters<typeof resolveOptions>[0]): string =>
  renderScripts(resolveOptions(raw)).find((s) => s.file === 'websocket_callbacks.py')!.text;

describe('generate --encoding f32-columns', () => {
  it('needs --batch-hz, the websocket target and route mode', () => {
    expect(() => resolveOptions({ encoding: 'f32-columns' })).toThrow(/needs --batch-hz/);
    expect(() => resolveOptions({ encoding: 'f32-columns', batchHz: 30, target: 'webserver' })).toThrow(/--target websocket and --mode route/);
    expect(() => resolveOptions({ encoding: 'f32-columns', batchHz: 30, target: 'osc' })).toThrow(GenerateOptionsError);
    expect(() => resolveOptions({ encoding: 'cbor', batchHz: 30 })).toThrow(/--encoding must be one of json, f32-columns/);
    expect(resolveOptions({ encoding: 'f32-columns', batchHz: '60' })).toMatchObject({ encoding: 'f32-columns', batchHz: 60, tableHz: 5 });
  });

  it('--table-hz is f32-columns only, from 0 to 60', () => {
    expect(() => resolveOptions({ tableHz: 5 })).toThrow(/applies to --encoding f32-columns only/);
    expect(() => resolveOptions({ encoding: 'f32-columns', batchHz: 30, tableHz: -1 })).toThrow(/--table-hz must be from 0/);
    expect(() => resolveOptions({ encoding: 'f32-columns', batchHz: 30, tableHz: 'x' })).toThrow(/--table-hz must be from 0/);
    expect(resolveOptions({ encoding: 'f32-columns', batchHz: 30, tableHz: '0' }).tableHz).toBe(0);
    expect(resolveOptions({}).tableHz).toBeUndefined();
  });

  it('puts the columns code, the encoding in the hello and both options in the header only when asked', () => {
    const plain = callbacks({ batchHz: 30 });
    expect(plain).not.toMatch(/import numpy|ENCODING|table-hz|_columns/);
    const f32 = callbacks({ encoding: 'f32-columns', batchHz: 30, tableHz: 2 });
    expect(f32).toMatch(/^# {3}--encoding = 'f32-columns'$/m);
    expect(f32).toMatch(/^# {3}--table-hz = 2$/m);
    expect(f32).toMatch(/^ENCODING = 'f32-columns'$/m);
    expect(f32).toMatch(/^TABLE_HZ = 2$/m);
    expect(f32).toMatch(/^def _columns_frame\(/m);
    expect(f32).toMatch(/hello\['encoding'\] = ENCODING/);
  });
});
