/**
 * Test clusters: a real redis-server and relay instances sharing it, in the test's process (startCluster) or as
 * `tdcrowd relay --redis` children (spawnInstance, for SIGKILL). Files using them skip without redis-server
 * (loudly; CI fails instead).
 */
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { startRelay, type RelayHandle, type RelayMetricsSnapshot, type RelayOptions } from '../../src/relay/index.js';
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

/**
 * Two instances on their own redis-server, looking like one relay to a suite written for one: `url` alternates
 * between A and B (so a suite's sinks, phones and attackers spread over both), `metrics()` adds both up, and
 * `httpUrl` is A's. For running existing suites against a cluster unchanged (useQuietStarter).
 */
export async function startClusterAsOne(options: Partial<RelayOptions> = {}): Promise<RelayHandle> {
  const redis = await startRedis();
  const o = { ...options };
  if (o.sinkToken === 'auto') o.sinkToken = randomBytes(24).toString('base64url');
  const a = await startRelay({ ...QUIET, redis: redis.url, ...o });
  const b = await startRelay({ ...QUIET, redis: redis.url, ...o });
  await untilInstances([a, b], 2);
  let turn = 0;
  return {
    port: a.port,
    sinkToken: a.sinkToken,
    get url() {
      return (turn++ % 2 === 0 ? a : b).url;
    },
    httpUrl: a.httpUrl,
    localUrl: a.localUrl,
    tls: a.tls,
    metrics: () => addUp(a.metrics(), b.metrics()),
    close: async () => {
      await Promise.all([a.close(), b.close()]);
      await redis.dispose();
    },
  };
}

function addUp(x: RelayMetricsSnapshot, y: RelayMetricsSnapshot): RelayMetricsSnapshot {
  const dropped: Record<string, number> = { ...x.dropped };
  for (const [k, n] of Object.entries(y.dropped)) dropped[k] = (dropped[k] ?? 0) + n;
  return {
    connections: {
      controller: x.connections.controller + y.connections.controller,
      sink: x.connections.sink + y.connections.sink,
      unknown: x.connections.unknown + y.connections.unknown,
    },
    messagesIn: x.messagesIn + y.messagesIn,
    messagesOut: x.messagesOut + y.messagesOut,
    dropped,
    users: x.users + y.users,
  };
}
