export { freePort, RedisServerNotFoundError, startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
export { startRedisCluster } from './redis-cluster.js';
export type { RedisCluster, RedisClusterOptions } from './redis-cluster.js';
export { seededRandom } from './seeded-random.js';
