import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isDockerReachable } from './docker-engine.js';

/** How to install `redis-server` and `redis-cli`, for error messages. */
export const REDIS_INSTALL_COMMANDS = 'Debian/Ubuntu: apt-get install -y redis-server redis-tools; macOS: brew install redis';

/** Where the helpers run Redis: `'path'` (the commands are on the PATH) or `'docker'` (through testcontainers). */
export type RedisRuntime = 'path' | 'docker';

/** Whether `command` is an executable file in a directory of `env.PATH`. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const names = process.platform === 'win32' ? [`${command}.exe`, command] : [command];
  return (env.PATH ?? '').split(delimiter).filter(Boolean).some((dir) =>
    names.some((name) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return statSync(join(dir, name)).isFile();
      } catch {
        return false;
      }
    }),
  );
}

/**
 * Where `startRedisServer()` (commands `redis-server`) or `startRedisCluster()` (`redis-server`, `redis-cli`)
 * runs Redis: on the PATH when every command is there, else in Docker when an engine answers, else `undefined`.
 * testcontainers is not loaded here.
 */
export async function redisRuntime(
  commands: readonly string[] = ['redis-server'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RedisRuntime | undefined> {
  if (commands.every((command) => onPath(command, env))) return 'path';
  return (await isDockerReachable(env)) ? 'docker' : undefined;
}

/** The message of a `RedisServerNotFoundError` for `bin`, with every way to get Redis. */
export function redisNotFound(bin: string): string {
  return `${bin} was not found on PATH. Install Redis (${REDIS_INSTALL_COMMANDS}), start a Docker engine (Redis then runs ` +
    'in a container through testcontainers), or set REDIS_URL.';
}
