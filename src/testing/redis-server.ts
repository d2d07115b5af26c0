import { startLocalRedisServer } from './local-server.js';
import { startRedisContainer } from './redis-container.js';
import { redisNotFound, redisRuntime } from './redis-runtime.js';
import { RedisServerNotFoundError, type RedisServer, type RedisServerOptions } from './types.js';

/**
 * Starts a private, non-persistent redis-server on loopback and waits until it answers PING.
 * It is killed when this process exits, whatever happens.
 * Without `options.bin` and without `redis-server` on the PATH, it runs Redis in a Docker container through
 * testcontainers when a Docker engine answers (see `redisRuntime()`); else it throws {@link RedisServerNotFoundError}.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (options.bin === undefined) {
    const runtime = await redisRuntime(['redis-server']);
    if (runtime === 'docker') return startRedisContainer(options);
    if (runtime === undefined) throw new RedisServerNotFoundError(redisNotFound('redis-server'));
  }
  return startLocalRedisServer(options);
}
