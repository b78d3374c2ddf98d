/**
 * A throwaway redis-server for the cluster benchmark (Debian's /usr/bin/redis-server, or REDIS_SERVER): on a free
 * loopback port, no persistence, killed by pid when done. INFO is read through redis-cli (same package), so
 * the benchmark needs no Redis client library of its own.
 */
import { execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './servers.mjs';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const REDIS_CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';

/** Runs redis-cli against the port; resolves with its stdout. */
function cli(port, args) {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** `INFO section` as a map of field → value (numbers where they are numbers). */
export function parseInfo(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i < 0) continue;
    const v = line.slice(i + 1);
    out[line.slice(0, i)] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

/** What the benchmark reads from Redis at the start and end of a window. */
export async function redisCounters(port) {
  const stats = parseInfo(await cli(port, ['INFO', 'stats']));
  const cpu = parseInfo(await cli(port, ['INFO', 'cpu']));
  return {
    commands: stats.total_commands_processed,
    instantaneousOps: stats.instantaneous_ops_per_sec,
    cpuS: cpu.used_cpu_sys + cpu.used_cpu_user,
    // The main thread alone (Redis 6+): the one that limits a single Redis.
    mainThreadCpuS: cpu.used_cpu_sys_main_thread !== undefined ? cpu.used_cpu_sys_main_thread + cpu.used_cpu_user_main_thread : undefined,
  };
}

/**
 * Starts redis-server; resolves once it answers PING.
 * @returns {{ pid: number, port: number, url: string, command: string, stop: () => Promise<void> }}
 */
export async function startRedis() {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`redis-server exited on start: ${out}`);
    try {
      if ((await cli(port, ['PING'])).trim() === 'PONG') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port}: ${out}`);
    }
    await sleep(50);
  }
  return {
    pid: child.pid,
    port,
    url: `redis://127.0.0.1:${port}`,
    command: [REDIS_SERVER, ...args.map((a) => (a === '' ? '""' : a))].join(' '),
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
