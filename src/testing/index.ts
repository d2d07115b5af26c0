export { RedisServerNotFoundError, startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
export { startRedisCluster } from './redis-cluster.js';
export type { RedisCluster, RedisClusterOptions } from './redis-cluster.js';
export { RedisContainerError } from './redis-container.js';
export { freePort } from './redis-probe.js';
export { redisRuntime } from './redis-runtime.js';
export type { RedisRuntime } from './redis-runtime.js';
export { seededRandom } from './seeded-random.js';
