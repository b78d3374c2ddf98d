/**
 * A real redis-server for a test: on a free loopback port, no persistence (`--save '' --appendonly no`), in its own
 * temporary directory; stop() and start() again on the same port (a Redis restart, all state gone), kill() for
 * SIGKILL. Tests that need it skip loudly without redis-server, and fail in CI (requirements.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { until } from './wait.js';

export interface RedisServer {
  readonly port: number;
  /** With `tls`: the self-signed certificate (PEM file) clients must trust, e.g. through NODE_EXTRA_CA_CERTS. */
  readonly caFile: string | undefined;
  /** redis://127.0.0.1:PORT (with the password when there is one). */
  readonly url: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGTERM, waited for. */
  stop(): Promise<void>;
  /** Stops and removes its directory. */
  dispose(): Promise<void>;
  /** A client for the test's own looks (closed by dispose). */
  client(): Redis;
}

/** @param opts.tls serve TLS only (rediss://), with a self-signed certificate for 127.0.0.1 made by openssl */
export async function startRedis(opts: { password?: string; tls?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-redis-'));
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;
  const url = `${opts.tls === true ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`;
  const caFile = opts.tls === true ? join(dir, 'cert.pem') : undefined;
  if (opts.tls === true) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', caFile!, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
    });
  }
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';
  const clients: Redis[] = [];

  const start = async (): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    if (caFile === undefined) args.push('--port', String(port));
    else args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', caFile, '--tls-key-file', join(dir, 'key.pem'), '--tls-auth-clients', 'no');
    if (opts.password !== undefined) args.push('--requirepass', opts.password);
    const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    p.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    let gone = false;
    exited = new Promise((r) => p.once('exit', () => ((gone = true), r())));
    await until(() => {
      if (gone) throw new Error(`redis-server exited on start: ${out}`);
      return out.includes('Ready to accept connections');
    }, 'redis-server to accept connections', 15_000);
  };

  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  await start();
  return {
    port,
    caFile,
    url,
    get running() {
      return proc !== undefined;
    },
    start,
    stop,
    dispose: async () => {
      for (const c of clients.splice(0)) c.disconnect();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    client: () => {
      const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, ...(caFile === undefined ? {} : { tls: { ca: readFileSync(caFile) } }) });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
  };
}
