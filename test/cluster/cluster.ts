/**
 * Test clusters: a real redis-server and relay instances sharing it, in the test's process (startCluster) or as
 * `tdcrowd relay --redis` children (spawnInstance, for SIGKILL). Files using them skip without redis-server
 * (loudly; CI fails instead).
 */
import { afterEach } from 'vitest';
import { startRelay, type RelayHandle, type RelayOptions } from '../../src/relay/index.js';
import { QUIET } from '../helpers/relay.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

/** Heartbeat for cluster tests: liveness keys live 400 ms, so a dead instance's users go within 0.6 s. */
export const CLUSTER_HEARTBEAT_MS = 400;

export interface TestCluster {
  readonly redis: RedisServer;
  readonly instances: RelayHandle[];
  /** One more instance on the same Redis. */
  add(options?: Partial<RelayOptions>): Promise<RelayHandle>;
}

async function healthz(r: { httpUrl: string }): Promise<Record<string, unknown>> {
  return (await (await fetch(`${r.httpUrl}/healthz`)).json()) as Record<string, unknown>;
}

/** Waits until every instance counts `n` instances alive. */
export async function untilInstances(relays: { httpUrl: string }[], n: number, timeoutMs = 10_000): Promise<void> {
  await until(
    async () => {
      for (const r of relays) {
        const c = (await healthz(r)).cluster as { instances?: number; redis?: string } | undefined;
        if (c?.instances !== n || c.redis !== 'up') return false;
      }
      return true;
    },
    `${n} instances to see each other`,
    timeoutMs,
  );
}

/** Per-test: a redis-server and `n` in-process relay instances on it, all closed after each test. */
export function useCluster(): { start(n: number, options?: Partial<RelayOptions>): Promise<TestCluster> } {
  const toClose: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c().catch(() => undefined);
  });
  return {
    start: async (n, options = {}) => {
      const redis = await startRedis();
      toClose.push(() => redis.dispose());
      const instances: RelayHandle[] = [];
      const add = async (more: Partial<RelayOptions> = {}): Promise<RelayHandle> => {
        const r = await startRelay({ ...QUIET, heartbeatMs: CLUSTER_HEARTBEAT_MS, redis: redis.url, ...options, ...more });
        toClose.push(() => r.close());
        instances.push(r);
        return r;
      };
      for (let i = 0; i < n; i++) await add();
      await untilInstances(instances, n);
      return { redis, instances, add };
    },
  };
}
