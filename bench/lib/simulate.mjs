/**
 * Runs `tdcrowd simulate` as a child process (so it has its own core to compete for, like a real load
 * generator) and hands back its JSON report, its pid (for /proc sampling while it runs) and the command line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { CLI, ROOT } from './servers.mjs';

export const OUT_DIR = 'bench/out';

/**
 * @param {string} name report file stem, under bench/out/
 * @param {string[]} args simulate flags (without --report/--no-progress)
 * @param {{ timeoutMs?: number, onStart?: (pid:number) => void }} opts
 */
export function startSimulate(name, args, opts = {}) {
  mkdirSync(`${ROOT}${OUT_DIR}`, { recursive: true });
  const report = `${OUT_DIR}/${name}.json`;
  rmSync(`${ROOT}${report}`, { force: true });
  const full = [CLI, 'simulate', ...args, '--report', report, '--no-progress'];
  const child = spawn(process.execPath, full, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    if (out.length < 50_000) out += d;
  });
  child.stderr.on('data', (d) => {
    if (err.length < 50_000) err += d;
  });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulate ${name} did not finish in ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      let parsed;
      try {
        parsed = JSON.parse(readFileSync(`${ROOT}${report}`, 'utf8'));
      } catch (e) {
        reject(new Error(`simulate ${name} exited ${code} without a report: ${err || out}`));
        return;
      }
      resolve({ report: parsed, exitCode: code, stdout: out, stderr: err });
    });
  });
  return { pid: child.pid, command: ['node', ...full].join(' '), done };
}
