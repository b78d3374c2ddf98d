/**
 * Every error a user can cause, in every command, is one line on stderr and exit 2, no stack trace: each
 * feature's option and environment errors extend one class (src/common/user-error.ts), which the CLI maps.
 * Runs the built CLI (`npm run build` first; `npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
/**
 * A log path the relay may not open: as root permissions do not bind, so a procfs file even root cannot open for
 * writing stands in; otherwise a file in a folder without write permission.
 */
let forbidden = '';

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
  writeFileSync(join(dir, 'plain.jsonl'), '{"type":"connect","sliderId":1}\n');
  writeFileSync(join(dir, 'not-a-file'), '');
  if (process.getuid?.() === 0) forbidden = '/proc/sys/kernel/ostype';
  else {
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o500);
    forbidden = join(dir, 'locked', 'x.jsonl');
  }
});
afterAll(async () => {
  await new Promise<void>((r) => busy.close(() => r()));
  if (forbidden.startsWith(dir)) chmodSync(join(dir, 'locked'), 0o700);
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
    ['relay: a log it cannot write', ['relay', '--host', '127.0.0.1', '--port', '0', '--log', join(dir, 'missing', 'x.jsonl')], /^tdcrowd: cannot write the log .*: its folder does not exist \(ENOENT\)$/],
    ['relay: a log that is a folder', ['relay', '--host', '127.0.0.1', '--port', '0', '--log', dir], /^tdcrowd: cannot write the log .*: it is a folder \(EISDIR\)$/],
    ['relay: a log under a file', ['relay', '--host', '127.0.0.1', '--port', '0', '--log', join(dir, 'not-a-file', 'x.jsonl')], /^tdcrowd: cannot write the log .*: a part of the path is a file, not a folder \(ENOTDIR\)$/],
    ['relay: a log it may not write', ['relay', '--host', '127.0.0.1', '--port', '0', '--log', () => forbidden], /^tdcrowd: cannot write the log .*: permission denied \(EACCES\)$/],
    // No name lookup for dotted numbers, so nothing is sent anywhere.
    ['relay: a host that is no address', ['relay', '--host', '999.1.1.1', '--port', '0'], /^tdcrowd: --host 999\.1\.1\.1 is not an IPv4 address/],
    // Binding to an address this machine does not have fails in bind(2), before any packet (TEST-NET-1, RFC 5737).
    ['relay: a private address this machine does not have', ['relay', '--host', '10.99.99.99', '--port', '0'], /^tdcrowd: --host 10\.99\.99\.99 is not an address of this machine \(EADDRNOTAVAIL\)$/],
    ['relay: an address of another machine', ['relay', '--host', '192.0.2.99', '--port', '0'], /^tdcrowd: --host 192\.0\.2\.99 is not an address of this machine \(EADDRNOTAVAIL\)$/],
    ['relay: an unknown flag', ['relay', '--prot', '8080'], /^tdcrowd: unknown option '--prot' \(Did you mean --port\?\) \(see tdcrowd relay --help\)$/],
    ['relay: a flag without its value', ['relay', '--port'], /^tdcrowd: option '--port <n>' argument missing \(see tdcrowd relay --help\)$/],
    ['an unknown command', ['relya'], /^tdcrowd: unknown command 'relya' \(Did you mean relay\?\) \(see tdcrowd --help\)$/],
    ['generate: a bad value', ['generate', '--table', '1x', '--out', join(dir, 'out')], /^tdcrowd: --table must be a TouchDesigner operator name/],
    ['generate: an output it cannot write', ['generate', '--out', join(dir, 'not-a-file', 'td')], /^tdcrowd: --out .*: cannot write the scripts: a part of the path is a file, not a folder \(ENOTDIR\)$/],
    ['generate: a file where the folder goes', ['generate', '--out', join(dir, 'not-a-file')], /^tdcrowd: --out .*: cannot write the scripts: it is a file, not a folder \(EEXIST\)$/],
    ['simulate: an --html it cannot write, found before the run', ['simulate', '--duration', '60', '--html', join(dir, 'missing', 'x.html')], /^tdcrowd: --html .*: cannot write the report: its folder does not exist \(ENOENT\)$/],
    ['simulate: a --report that is a folder, found before the run', ['simulate', '--duration', '60', '--report', dir], /^tdcrowd: --report .*: cannot write the report: it is a folder \(EISDIR\)$/],
    ['simulate: an unknown flag', ['simulate', '--user', '5'], /^tdcrowd: unknown option '--user' \(Did you mean --users\?\) \(see tdcrowd simulate --help\)$/],
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
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).not.toContain('Phones join at');
    expect(r.stdout).not.toContain('Usage:');
  });
});
