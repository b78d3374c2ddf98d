/**
 * Tests that need an external program (Chromium, python3) skip with a loud notice on a laptop that lacks it,
 * and fail in CI (CI=true), where .ci/run has installed it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function hasProgram(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function requirement(name: string, present: boolean): boolean {
  if (present) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${name} is required in CI but was not found; .ci/run should have installed it`);
  }
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! SKIPPING tests that need ${name}: not found on this machine.\n!! Install it to run them (CI fails instead of skipping).\n${line}\n`);
  return false;
}

export const hasPython = (): boolean => requirement('python3', hasProgram('python3', ['--version']));
export const hasChromium = (): boolean =>
  requirement(`Chromium (${CHROMIUM_PATH})`, existsSync(CHROMIUM_PATH) && hasProgram(CHROMIUM_PATH, ['--version']));
/** numpy for python3 (TouchDesigner ships it; the Script CHOP's callbacks use it). */
export const hasNumpy = (): boolean => requirement('numpy for python3', hasProgram('python3', ['-c', 'import numpy']));
/** Debian's redis-server (relay --redis tests start their own on a free port). */
export const hasRedisServer = (): boolean => requirement('redis-server', hasProgram('redis-server', ['--version']));
