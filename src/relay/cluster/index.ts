export { LocalCluster, type Cluster, type ClusterHost, type ClusterStatus, type RemoteUser, type SharedClaim } from './cluster.js';
export { RedisCluster } from './redis-cluster.js';
export { openRedisLink, RedisStartError } from './redis-link.js';
export { redisUrlProblem, redisTarget, scrubSecrets } from './redis-url.js';
