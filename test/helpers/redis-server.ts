/** A real redis-server (Debian's /usr/bin/redis-server) on a free loopback port, for relays started with --redis. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './ports.js';
import { until } from './wait.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts redis-server without persistence; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: apt-get install redis-server`);
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  proc.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await until(() => {
    if (proc.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    return /Ready to accept connections/.test(out);
  }, 'redis-server to accept connections', 15_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
