import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where a Docker engine's API listens: a unix socket, or a plain-HTTP TCP address. */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/**
 * The Docker engine endpoint of `env`: `DOCKER_HOST` when set (`unix://` or `tcp://` without TLS; any other
 * scheme gives `undefined`), else the first existing default socket (the ones testcontainers also tries).
 */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint | undefined {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost) {
    let url: URL;
    try {
      url = new URL(dockerHost);
    } catch {
      return undefined;
    }
    if (url.protocol === 'unix:') return { socketPath: url.pathname };
    if (url.protocol === 'tcp:' || url.protocol === 'http:') {
      return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 2375) };
    }
    return undefined;
  }
  const sockets = [
    '/var/run/docker.sock',
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
  ];
  const socketPath = sockets.find((path) => existsSync(path));
  return socketPath === undefined ? undefined : { socketPath };
}

/**
 * Whether a Docker engine answers `GET /_ping` with `OK` at {@link dockerEndpoint} within `timeoutMs`.
 * Never throws; needs no Docker library.
 */
export function isDockerReachable(env: NodeJS.ProcessEnv = process.env, timeoutMs = 1000): Promise<boolean> {
  const endpoint = dockerEndpoint(env);
  if (!endpoint) return Promise.resolve(false);
  return new Promise((resolve) => {
    const request = get({ ...endpoint, path: '/_ping', agent: false, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && body.trim() === 'OK'));
      response.on('error', () => resolve(false));
      response.on('close', () => resolve(false)); // aborted mid-body; after 'end' this changes nothing
    });
    request.on('error', () => resolve(false));
  });
}
