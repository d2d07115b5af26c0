export { startRedisServer } from './redis-server.js';
export { startRedisCluster } from './redis-cluster.js';
export { RedisServerNotFoundError } from './types.js';
export type { RedisCluster, RedisClusterOptions, RedisServer, RedisServerOptions } from './types.js';
export { RedisContainerError } from './redis-container.js';
export { freePort } from './redis-probe.js';
export { redisRuntime } from './redis-runtime.js';
export type { RedisRuntime } from './redis-runtime.js';
export { seededRandom } from './seeded-random.js';
