/**
 * relay --redis: the Redis client is loaded only when asked for, so the single-process relay neither loads nor
 * pays for it.
 */
import type { Cluster } from './cluster.js';

export async function openCluster(url: string, heartbeatMs: number): Promise<Cluster> {
  const [{ openRedisLink }, { RedisCluster }] = await Promise.all([import('./redis-link.js'), import('./redis-cluster.js')]);
  return new RedisCluster(await openRedisLink(url), heartbeatMs);
}
