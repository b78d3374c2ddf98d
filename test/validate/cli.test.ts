/**
 * The built CLI, spawned as a user would run it (`npm run build` first; `npm test` does).
 */
import { describeFsError } from '../../src/validate/line-reader.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, scratch } from './helpers.js';
import { CLI, requireBuiltCli } from '../helpers/paths.js';


function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return runWithInput('', ...args);
}

function runWithInput(input: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'validate', ...args], { encoding: 'utf8', timeout: 30_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: ReturnType<typeof scratch>;
beforeAll(() => {
  requireBuiltCli();
  tmp = scratch();
  writeFileSync(join(tmp.dir, 'binary.jsonl'), Buffer.from([0x7b, 0x00, 0x01, 0x02, 0x7d, 0x0a]));
  mkdirSync(join(tmp.dir, 'a-directory.jsonl'));
});
afterAll(() => tmp?.cleanup());

describe('tdcrowd validate: exit codes', () => {
  it('0 for clean files, with a summary on stdout', () => {
    const r = run(fixture('clean-relay.jsonl'), fixture('clean-plain.jsonl'), fixture('empty.jsonl'));
    expect(r.stdout).toBe('tdcrowd validate: 3 files, 27 lines: 0 errors, 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('1 for violations, each as file:line: message', () => {
    const r = run(fixture('schema-errors.jsonl'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${fixture('schema-errors.jsonl')}:2: error: update: /x must be <= 170 [schema]`);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(10);
  });

  it('0 for warnings alone, 1 with --strict', () => {
    expect(run(fixture('not-connected.jsonl')).code).toBe(0);
    const strict = run('--strict', fixture('not-connected.jsonl'));
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain(':1: error: conn 1 sent update for id 9 before any connect [not_connected]');
  });

  it.each([
    ['a missing file', 'missing.jsonl', 'no such file (ENOENT)'],
    ['a directory', 'a-directory.jsonl', 'is a directory (EISDIR)'],
    ['a binary file', 'binary.jsonl', 'is not a text file (contains NUL bytes) (BINARY)'],
  ])('2 for %s', (_what, name, says) => {
    const path = join(tmp.dir, name);
    const r = run(path);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${path}: error: cannot read: ${says} [unreadable]`);
  });

  it('2 for a file without read permission', () => {
    if (process.getuid?.() === 0) {
      // Root reads any file, so no file can be denied here: check the mapping the CLI uses for EACCES instead.
      const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      expect(describeFsError(denied)).toEqual({ code: 'EACCES', message: 'permission denied' });
      return;
    }
    const path = join(tmp.dir, 'locked.jsonl');
    writeFileSync(path, '{"type":"connect","sliderId":1}\n');
    chmodSync(path, 0o000);
    const r = run(path);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('permission denied');
  });

  it('2 wins when some files are unreadable, and the readable ones are still reported', () => {
    const r = run(fixture('schema-errors.jsonl'), join(tmp.dir, 'missing.jsonl'), fixture('clean-plain.jsonl'));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${fixture('schema-errors.jsonl')}:2: error:`);
    expect(r.stdout).toContain('missing.jsonl: error: cannot read');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('tdcrowd validate: 3 files, 21 lines: 9 errors, 0 warnings; 1 file unreadable');
  });

  it.each([
    ['no files', [], /missing required argument/],
    ['an unknown format', ['--format', 'xml', 'x.jsonl'], /--format must be one of text, json, junit, github, got "xml"/],
    ['a zero rate', ['--rate', '0', 'x.jsonl'], /--rate must be a number above 0, got 0/],
    ['a non-numeric burst', ['--burst', 'lots', 'x.jsonl'], /--burst must be a number, got "lots"/],
    ['a fractional burst', ['--burst', '0.5', 'x.jsonl'], /--burst must be a number of at least 1, got 0.5/],
    ['a negative max-errors', ['--max-errors', '-1', 'x.jsonl'], /--max-errors must be an integer >= 0, got -1/],
  ] as const)('2 for a usage error: %s', (_what, args, says) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stdout).toBe('');
  });
});

describe('tdcrowd validate: flags', () => {
  it('--format json prints one parseable document', () => {
    const r = run('--format', 'json', fixture('id-mismatch.jsonl'));
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { violations: Array<{ rule: string; line: number }>; summary: { errors: number } };
    expect(doc.violations.map((v) => [v.line, v.rule])).toEqual([
      [3, 'id_mismatch'],
      [5, 'id_mismatch'],
    ]);
    expect(doc.summary.errors).toBe(2);
  });

  it('--format junit and github', () => {
    const junit = run('--format', 'junit', fixture('batch-from-controller.jsonl'));
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(junit.stdout).toContain('<failure type="batch_from_controller"');
    const github = run('--format', 'github', fixture('batch-from-controller.jsonl'));
    expect(github.stdout.split('\n')[0]).toMatch(/^::error file=.*batch-from-controller\.jsonl,line=2,title=tdcrowd batch_from_controller::/);
  });

  it('--rate and --burst set the bucket the log is judged against', () => {
    expect(run(fixture('rate.jsonl')).code).toBe(0);
    const r = run('--rate', '10', '--burst', '3', fixture('rate.jsonl'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rate.jsonl:4: error: conn 1 sent faster than 10 msg/s (burst 3): 4 frames over the limit on lines 4-7 [rate_limited]');
  });

  it('--max-errors lists the first n and still counts the rest', () => {
    const r = run('--max-errors', '2', fixture('schema-errors.jsonl'));
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('tdcrowd validate: 1 file, 10 lines: 9 errors, 0 warnings; 7 not shown (--max-errors)');
  });

  it('lists 1000 violations by default, counts them all', () => {
    const path = join(tmp.dir, 'all-bad.jsonl');
    writeFileSync(path, '{"x":999,"y":0,"speed":0,"angle":0,"sliderId":1}\n'.repeat(1500));
    const r = run(path);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[999]).toMatch(/all-bad\.jsonl:1000: error: update: \/x must be <= 170/);
    expect(lines[1000]).toBe('tdcrowd validate: 1 file, 1500 lines: 1500 errors, 0 warnings; 500 not shown (--max-errors)');
    expect(run('--max-errors', '2000', path).stdout.trimEnd().split('\n')).toHaveLength(1501);
  });

  it('--quiet prints errors only, nothing at all for a clean or warning-only file', () => {
    expect(run('--quiet', fixture('clean-relay.jsonl')).stdout).toBe('');
    expect(run('--quiet', fixture('not-connected.jsonl')).stdout).toBe('');
    const r = run('-q', fixture('before-hello.jsonl'));
    expect(r.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/before-hello\.jsonl:3: error: hello must be a sink's first message/)]);
    expect(r.code).toBe(1);
  });

  it('- reads stdin', () => {
    const r = runWithInput(`{"type":"connect","sliderId":1}\n{"x":1,"y":1,"speed":1,"angle":400,"sliderId":1}\n`, '-');
    expect(r.stdout).toContain('<stdin>:2: error: update: /angle must be <= 360 [schema]');
    expect(r.code).toBe(1);
  });

  it('--help documents the exit codes', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 usage error or a file could not be read');
  });
});
