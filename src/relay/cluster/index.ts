export { LocalCluster, type Cluster, type ClusterHost, type ClusterStatus, type RemoteUser, type SharedClaim } from './cluster.js';
export { openCluster } from './open.js';
export { redisUrlProblem, redisTarget, scrubSecrets } from './redis-url.js';
