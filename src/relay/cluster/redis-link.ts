/**
 * The two Redis connections an instance keeps (commands and publishes; the subscription, which Redis reserves a
 * connection for), opened before the relay listens: Redis unreachable at start is an environment error, one line
 * without the password. Afterwards the client reconnects on its own; commands fail at once while it is down
 * (no offline queue: a claim must be refused now, not answered in a minute).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { UserError } from '../../common/user-error.js';
import { redisTarget, scrubSecrets, type RedisTarget } from './redis-url.js';

const START_TIMEOUT_MS = 5000;

/** Redis could not be reached or refused us at start. */
export class RedisStartError extends UserError {
  override name = 'RedisStartError';
}

export interface RedisLink {
  readonly target: RedisTarget;
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly instanceId: string;
}

export function newInstanceId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function client(target: RedisTarget, name: string): Redis {
  return new Redis(target.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 3000,
    connectTimeout: 3000,
    // Keep trying for ever, at most every 2 s: the show goes on locally meanwhile.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: name,
    ...(target.tls ? { tls: {} } : {}),
  });
}

/** Both connections ready, or a RedisStartError naming the cause. */
export async function openRedisLink(url: string): Promise<RedisLink> {
  const target = redisTarget(url);
  const instanceId = newInstanceId();
  const cmd = client(target, `tdcrowd-${instanceId}`);
  const sub = client(target, `tdcrowd-${instanceId}-sub`);
  try {
    await Promise.all([ready(cmd, target), ready(sub, target)]);
  } catch (err) {
    cmd.disconnect();
    sub.disconnect();
    throw err;
  }
  return { target, cmd, sub, instanceId };
}

function ready(r: Redis, target: RedisTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      reject(new RedisStartError(`cannot reach Redis at ${target.label} (--redis): ${scrubSecrets(why, target)}`));
    };
    const onError = (err: Error & { code?: string }): void => fail(err.code ?? err.message);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      r.off('error', onError);
      r.off('ready', onReady);
    };
    r.on('error', onError);
    r.once('ready', onReady);
    r.connect().catch((err: Error & { code?: string }) => fail(err.code ?? err.message));
  });
}
