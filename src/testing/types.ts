/** The servers `koa-bitmapist/testing` starts: what a test gets back, and the options it gives. */

/** A redis-server started by {@link startRedisServer}. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server abruptly (SIGKILL), as a crash would. `start()` brings it back on the same port. */
  kill(): Promise<void>;
  /** Starts the server again on the same port after `kill()`. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The executable (default `redis-server` from PATH). */
  bin?: string;
  /** The port (default: a free loopback port). */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
}

/** A local Redis Cluster started by {@link startRedisCluster}. */
export interface RedisCluster {
  /** The masters, in the order they were created. */
  readonly nodes: { host: string; port: number }[];
  /** The servers behind the nodes (kill / start one to simulate a failure). */
  readonly servers: RedisServer[];
  /** Waits until every master reports `cluster_state:ok`. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** How many masters (default 3). */
  masters?: number;
  /** `cluster-node-timeout` in ms (default 2000). */
  nodeTimeoutMs?: number;
  /** Extra `redis-server` arguments of every node, e.g. `['--appendonly', 'yes']` to survive a kill. */
  args?: string[];
}

/** Thrown when no `redis-server` executable can be started and no Docker engine answers. */
export class RedisServerNotFoundError extends Error {
  override name = 'RedisServerNotFoundError';
}
