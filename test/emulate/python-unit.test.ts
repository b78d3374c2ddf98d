/** Runs the emulator's own unittest modules (test/emulate/python) so `npm test` covers them. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR } from '../../src/emulate/process.js';
import { hasPython } from '../helpers/requirements.js';

const TESTS = fileURLToPath(new URL('./python/', import.meta.url));

describe.skipIf(!hasPython())('emulator unit tests (python3 -m unittest)', () => {
  it('pass', () => {
    const r = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', TESTS, '-p', 'test_*.py', '-v'], {
      env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    });
    const ran = /Ran (\d+) tests?/.exec(r.stderr);
    expect(r.status, r.stderr).toBe(0);
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(20);
  });
});
