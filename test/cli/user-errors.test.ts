/**
 * Every error a user can cause, in every command, is one line on stderr and exit 2, no stack trace: each
 * feature's option and environment errors extend one class (src/common/user-error.ts), which the CLI maps.
 * Runs the built CLI (`npm run build` first; `npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/user-error.js';
import { EmulateOptionsError } from '../../src/emulate/options.js';
import { GenerateOptionsError } from '../../src/generate/index.js';
import { RelayOptionsError, RelayStartError } from '../../src/relay/index.js';
import { AdmissionError, OptionsError, ReplayError, SloSyntaxError } from '../../src/simulate/index.js';
import { ValidateOptionsError } from '../../src/validate/index.js';
import { CLI } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-user-errors-'));
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
  writeFileSync(join(dir, 'plain.jsonl'), '{"type":"connect","sliderId":1}\n');
  writeFileSync(join(dir, 'not-a-file'), '');
});
afterAll(async () => {
  await new Promise<void>((r) => busy.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('user errors', () => {
  it('every feature error a user can cause extends UserError; a relay that never admits the sink is a finding (exit 1), not one', () => {
    for (const E of [RelayOptionsError, RelayStartError, GenerateOptionsError, EmulateOptionsError, OptionsError, SloSyntaxError, ReplayError, ValidateOptionsError]) {
      expect(E.prototype, E.name).toBeInstanceOf(UserError);
    }
    expect(AdmissionError.prototype).not.toBeInstanceOf(UserError);
  });

  it.each([
    ['relay: a bad value', ['relay', '--host', '127.0.0.1', '--rate', '0'], /^tdcrowd: --rate must be a number of messages per second above 0, got 0$/],
    ['relay: a port in use', ['relay', '--host', '127.0.0.1', '--port', () => String(busyPort)], /^tdcrowd: port \d+ is in use \(try --port\)$/],
    ['relay: a log it cannot write', ['relay', '--host', '127.0.0.1', '--port', '0', '--log', join(dir, 'missing', 'x.jsonl')], /^tdcrowd: cannot write the log .*ENOENT/],
    ['generate: a bad value', ['generate', '--table', '1x', '--out', join(dir, 'out')], /^tdcrowd: --table must be a TouchDesigner operator name/],
    ['generate: an output it cannot write', ['generate', '--out', join(dir, 'not-a-file', 'td')], /^tdcrowd: --out .*: cannot write the scripts: /],
    ['emulate: a bad value', ['emulate', '--url', 'http://127.0.0.1:1'], /^tdcrowd: --url must start with ws:\/\/ or wss:\/\//],
    ['simulate: a bad value', ['simulate', '--users', '0'], /^tdcrowd: --users must be at least 1, got 0$/],
    ['simulate: a bad --slo', ['simulate', '--sink', '--slo', 'p99<'], /^tdcrowd: --slo/],
    ['simulate: a log it cannot replay', ['simulate', '--replay', join(dir, 'plain.jsonl')], /^tdcrowd: .*no relay log entries/],
    ['validate: a bad value', ['validate', '--rate', '0', join(dir, 'plain.jsonl')], /^tdcrowd: --rate must be a number above 0, got 0$/],
  ] as const)('%s: one line on stderr, exit 2', (_what, args, says) => {
    const argv = args.map((a) => (typeof a === 'function' ? a() : a));
    const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(says);
    expect(r.stdout).not.toContain('Phones join at');
  });
});
