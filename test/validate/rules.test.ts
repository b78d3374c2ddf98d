import { describe, expect, it } from 'vitest';
import { validateFiles, type Violation } from '../../src/validate/index.js';
import { envelope, fixture, source } from './helpers.js';

const brief = (vs: Violation[]) => vs.map((v) => `${v.line} ${v.severity} ${v.rule}`);

describe('clean input', () => {
  it.each(['clean-relay.jsonl', 'clean-plain.jsonl', 'crlf-plain.jsonl', 'empty.jsonl'])('%s has no violations', async (name) => {
    const report = await validateFiles([fixture(name)]);
    expect(report.violations).toEqual([]);
    expect(report.summary).toMatchObject({ files: 1, unreadable: 0, errors: 0, warnings: 0 });
    expect(report.exitCode).toBe(0);
  });

  it('counts lines and tells envelopes from bare messages', async () => {
    const report = await validateFiles([fixture('clean-relay.jsonl'), fixture('clean-plain.jsonl'), fixture('empty.jsonl')]);
    expect(report.files.map((f) => [f.lines, f.envelopeLines, f.bareLines])).toEqual([
      [16, 16, 0],
      [11, 0, 11],
      [0, 0, 0],
    ]);
    expect(report.summary.lines).toBe(27);
  });
});

describe('per-line checks', () => {
  it('reports each bad plain line with its reason and schema path', async () => {
    const report = await validateFiles([fixture('schema-errors.jsonl')]);
    expect(report.violations.map((v) => [v.line, v.rule, v.path])).toEqual([
      [2, 'schema', '/x'],
      [3, 'schema', '/colour'],
      [4, 'schema', '/sliderId'],
      [5, 'schema', '/sliderId'],
      [6, 'not_json', '/'],
      [7, 'not_object', '/'],
      [8, 'schema', '/type'],
      [9, 'schema', '/x'],
      [10, 'too_large', '/'],
    ]);
    expect(report.violations.every((v) => v.severity === 'error' && v.file === fixture('schema-errors.jsonl'))).toBe(true);
    expect(report.violations[0]?.message).toContain('170');
    // A JSON syntax error on a bare line carries the column the engine reported.
    expect(report.violations[4]?.column).toBe(24);
    expect(report.exitCode).toBe(1);
  });

  it('reports malformed envelopes and still judges the frame inside', async () => {
    const report = await validateFiles([fixture('envelope-errors.jsonl')]);
    expect(report.violations.map((v) => [v.line, v.rule, v.path])).toEqual([
      [1, 'envelope', '/ts'],
      [2, 'envelope', '/dir'],
      [3, 'envelope', '/conn'],
      [4, 'envelope', '/extra'],
      [4, 'schema', '/x'],
      [5, 'envelope', '/msg'],
    ]);
  });

  it('judges a logged frame by its sender: the relay may not send hello, a controller may not send batch', async () => {
    const report = await validateFiles([fixture('batch-from-controller.jsonl')]);
    expect(brief(report.violations)).toEqual(['2 error batch_from_controller']);
    expect(report.violations[0]).toMatchObject({ conn: 1, dropped: 'wrong_direction' });
    // The same batch sent by the relay to a sink (line 3) is fine.
  });

  it('a mixed file: envelopes, bare messages, keep-alives, garbage and a blank line', async () => {
    const report = await validateFiles([fixture('mixed.jsonl')]);
    expect(brief(report.violations)).toEqual([
      '2 warning not_connected',
      '4 warning blank_line',
      '5 error schema',
      '6 error not_json',
      '7 error wrong_direction',
    ]);
    expect(report.files[0]).toMatchObject({ lines: 7, envelopeLines: 3, bareLines: 3 });
  });

  it('a line that is not UTF-8 and a line too long to be a frame are errors, and reading goes on', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"type":"connect","sliderId":1}\n'),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
      Buffer.from(`${'x'.repeat(5000)}\n`),
      Buffer.from('{"x":1,"y":1,"speed":1,"angle":1,"sliderId":1}\n'),
    ]);
    const report = await validateFiles(
      [{ name: 'bytes.jsonl', stream: (async function* () { yield bytes; })() }],
      { maxLineBytes: 4096 },
    );
    expect(brief(report.violations)).toEqual(['2 error not_utf8', '3 error line_too_long']);
    expect(report.files[0]?.lines).toBe(4);
  });
});

describe('stateful checks', () => {
  it('id_mismatch: a connection speaking for a second id (a number and its decimal string are one id)', async () => {
    const report = await validateFiles([fixture('id-mismatch.jsonl')]);
    expect(brief(report.violations)).toEqual(['3 error id_mismatch', '5 error id_mismatch']);
    expect(report.violations[0]).toMatchObject({ conn: 5, dropped: 'id_mismatch', path: '/sliderId' });
    expect(report.violations[0]?.message).toMatch(/claimed id 10 .*speaks for id 11/);
  });

  it('id_mismatch: a claim the relay refused does not bind the connection', async () => {
    const report = await validateFiles([fixture('relay-drop.jsonl')]);
    expect(report.violations.filter((v) => v.rule === 'id_mismatch')).toEqual([]);
  });

  it('rate_limited: one finding per episode, with its extent, only above the configured bucket', async () => {
    const strict = await validateFiles([fixture('rate.jsonl')], { rate: 10, burst: 3 });
    expect(brief(strict.violations)).toEqual(['4 error rate_limited']);
    expect(strict.violations[0]?.message).toContain('4 frames over the limit on lines 4-7');
    const defaults = await validateFiles([fixture('rate.jsonl')]);
    expect(defaults.violations).toEqual([]);
  });

  it('rate_limited: a steady 100 msg/s stream passes at the default 120 msg/s, 200 msg/s does not', async () => {
    const stream = (hz: number, n: number) =>
      Array.from({ length: n }, (_, i) =>
        envelope({ ts: 1_700_000_000_000 + (i * 1000) / hz, dir: 'in', conn: 1, role: 'controller', msg: { x: 0, y: 0, speed: 0, angle: 0, sliderId: 1 } }),
      );
    const connect = envelope({ ts: 1_700_000_000_000, dir: 'in', conn: 1, role: 'unknown', msg: { type: 'connect', sliderId: 1 } });
    const ok = await validateFiles([source('100hz', [connect, ...stream(100, 2000)])]);
    expect(ok.violations).toEqual([]);
    const fast = await validateFiles([source('200hz', [connect, ...stream(200, 2000)])]);
    expect(fast.violations.map((v) => v.rule)).toEqual(['rate_limited']);
    // Bucket of 240 drains at 200-120 = 80/s net: the first excess frame comes after about 3 s (~600 frames).
    expect(fast.violations[0]?.line).toBeGreaterThan(550);
    expect(fast.violations[0]?.line).toBeLessThan(650);
  });

  it('rate_limited: drops the relay sampled out of the log count as over the limit, even on a line logged late', async () => {
    // The relay logs a few drops, then holds the rest back and writes one line with `skipped` when the
    // connection ends, stamped with the last drop's time: by then the validator's bucket may have refilled.
    const t0 = 1_700_000_000_000;
    const upd = { x: 0, y: 0, speed: 0, angle: 0, sliderId: 1 };
    const lines = [
      envelope({ ts: t0, dir: 'in', conn: 1, role: 'unknown', msg: { type: 'connect', sliderId: 1 } }),
      envelope({ ts: t0 + 5000, dir: 'in', conn: 1, role: 'controller', msg: upd, drop: 'rate_limited', skipped: 750 }),
    ];
    const report = await validateFiles([source('late-sample', lines)]);
    expect(report.violations.map((v) => v.rule)).toEqual(['rate_limited']);
    expect(report.violations[0]?.message).toContain('750 frames over the limit');
  });

  it('rate is per connection: two connections at 100 msg/s each are both within the limit', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      for (const conn of [1, 2]) {
        lines.push(envelope({ ts: 1_700_000_000_000 + i * 10, dir: 'in', conn, role: 'controller', msg: 'pong' }));
      }
    }
    expect((await validateFiles([source('two', lines)])).violations).toEqual([]);
  });

  it('before_hello: a hello after other frames is an error; a sink whose hello is not logged is a warning', async () => {
    const report = await validateFiles([fixture('before-hello.jsonl')]);
    expect(brief(report.violations)).toEqual(['2 warning not_connected', '3 error before_hello', '4 warning before_hello']);
    const midway = await validateFiles([
      source('midway', [envelope({ ts: 1, dir: 'in', conn: 4, role: 'sink', msg: { type: 'hello', role: 'sink' } }), envelope({ ts: 2, dir: 'in', conn: 9, role: 'sink', msg: 'pong' })]),
    ]);
    expect(brief(midway.violations)).toEqual(['2 warning before_hello']);
  });

  it('not_connected: warns once per connection in a relay log, once per file (with a count) in plain JSONL', async () => {
    const relay = await validateFiles([fixture('not-connected.jsonl')]);
    expect(brief(relay.violations)).toEqual(['1 warning not_connected']);
    expect(relay.exitCode).toBe(0);
    const plain = await validateFiles([fixture('not-connected-plain.jsonl')]);
    expect(brief(plain.violations)).toEqual(['1 warning not_connected']);
    expect(plain.violations[0]?.message).toContain('2 ids');
  });

  it('not_connected: a delete before any claim is an error (the relay refuses it); an update first claims the id', async () => {
    const del = { type: 'delete', sliderId: 4 };
    const upd = { x: 0, y: 0, speed: 0, angle: 0, sliderId: 4 };
    const report = await validateFiles([
      source('log', [
        envelope({ ts: 1, dir: 'in', conn: 1, role: 'controller', msg: del, drop: 'not_connected' }),
        envelope({ ts: 2, dir: 'in', conn: 1, role: 'controller', msg: upd }),
        envelope({ ts: 3, dir: 'in', conn: 1, role: 'controller', msg: del }),
      ]),
    ]);
    expect(report.violations.map((v) => [v.line, v.severity, v.rule, v.dropped])).toEqual([
      [1, 'error', 'not_connected', 'not_connected'],
      [2, 'warning', 'not_connected', undefined],
    ]);
  });

  it('stateful checks stay quiet on a clean relay log with several controllers and a sink', async () => {
    const report = await validateFiles([fixture('clean-relay.jsonl')], { strict: true });
    expect(report.violations).toEqual([]);
  });

  it('state is per file: a connect in one file does not vouch for updates in the next', async () => {
    const connect = JSON.stringify({ type: 'connect', sliderId: 3 });
    const update = JSON.stringify({ x: 0, y: 0, speed: 0, angle: 0, sliderId: 3 });
    const report = await validateFiles([source('a', [connect]), source('b', [update])]);
    expect(report.violations.map((v) => [v.file, v.rule])).toEqual([['b', 'not_connected']]);
  });

  it('relay drops: a finding on the frame is labelled; a drop nothing here explains is a warning', async () => {
    const report = await validateFiles([fixture('relay-drop.jsonl')]);
    expect(report.violations.map((v) => [v.line, v.severity, v.rule, v.dropped])).toEqual([
      [1, 'warning', 'relay_drop', 'id_taken'],
      [2, 'error', 'not_json', 'not_json'],
    ]);
  });
});

describe('frames the relay logged as a placeholder', () => {
  it('binary and ws-refused frames are judged by the relay reason, not as JSON text', async () => {
    const report = await validateFiles([
      source('log', [
        envelope({ ts: 1, dir: 'in', conn: 1, role: 'unknown', msg: '<binary frame, 12 bytes>', drop: 'binary' }),
        envelope({ ts: 2, dir: 'in', conn: 2, role: 'unknown', msg: '<Max payload size exceeded>', drop: 'too_large' }),
        // Not a placeholder: real text the relay could not parse.
        envelope({ ts: 3, dir: 'in', conn: 3, role: 'unknown', msg: '<html>', drop: 'not_json' }),
      ]),
    ]);
    expect(report.violations.map((v) => [v.line, v.rule, v.dropped])).toEqual([
      [1, 'binary', 'binary'],
      [2, 'too_large', 'too_large'],
      [3, 'not_json', 'not_json'],
    ]);
    expect(report.violations[0]?.message).toContain('<binary frame, 12 bytes>');
  });
});

describe('options', () => {
  it('strict turns warnings into errors', async () => {
    const report = await validateFiles([fixture('not-connected.jsonl')], { strict: true });
    expect(brief(report.violations)).toEqual(['1 error not_connected']);
    expect(report.exitCode).toBe(1);
  });

  it('maxErrors keeps the first n and still counts the rest', async () => {
    const report = await validateFiles([fixture('schema-errors.jsonl')], { maxErrors: 3 });
    expect(report.violations.map((v) => v.line)).toEqual([2, 3, 4]);
    expect(report.summary).toMatchObject({ errors: 9, reported: 3, omitted: 6 });
    expect(report.exitCode).toBe(1);
  });

  it('rejects nonsensical limits', async () => {
    await expect(validateFiles([], { rate: 0 })).rejects.toThrow(/rate/);
    await expect(validateFiles([], { burst: 0.5 })).rejects.toThrow(/burst/);
  });
});
