import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { dockerEndpoint, isDockerReachable } from '../../src/testing/docker-engine.js';
import { freePort, redisRuntime } from '../../src/testing/index.js';
import { startFakeDockerEngine } from './fake-docker-engine.js';

/** How long `work` took, in ms, and what it resolved to. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('testing: detecting a Docker engine', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bitmapist-docker-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads DOCKER_HOST (unix:// or tcp://), and gives no endpoint for a scheme it cannot ping', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).to.deep.equal({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2375' })).to.deep.equal({ host: '10.0.0.5', port: 2375 });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://[::1]:2375' })).to.deep.equal({ host: '::1', port: 2375 });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://docker' })).to.deep.equal({ host: 'docker', port: 2375 });
    expect(dockerEndpoint({ DOCKER_HOST: 'ssh://me@docker' })).to.equal(undefined);
    expect(dockerEndpoint({ DOCKER_HOST: 'not a url' })).to.equal(undefined);
  });

  it('answers "not reachable" at once when DOCKER_HOST is a closed port', async () => {
    const closed = await freePort();
    const { value, ms } = await timed(() => isDockerReachable({ DOCKER_HOST: `tcp://127.0.0.1:${closed}` }));
    expect(value).to.equal(false);
    expect(ms).to.be.below(500);
  });

  it('answers "not reachable" after its 1 s timeout when the port accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const { value, ms } = await timed(() => isDockerReachable({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }, 1000));
      expect(value).to.equal(false);
      expect(ms).to.be.below(2000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  });

  it('answers "reachable" only when GET /_ping says OK, over TCP or a unix socket', async () => {
    const tcp = await startFakeDockerEngine();
    const unix = await startFakeDockerEngine({ socketPath: join(root, 'docker.sock') });
    const refusing = await startFakeDockerEngine({ answer: (_, response) => void response.writeHead(500).end('OK') });
    try {
      expect(await isDockerReachable({ DOCKER_HOST: tcp.dockerHost })).to.equal(true);
      expect(await isDockerReachable({ DOCKER_HOST: unix.dockerHost })).to.equal(true);
      expect(await isDockerReachable({ DOCKER_HOST: refusing.dockerHost })).to.equal(false);
      expect([tcp.requests, unix.requests, refusing.requests]).to.deep.equal([['GET /_ping'], ['GET /_ping'], ['GET /_ping']]);
    } finally {
      await Promise.all([tcp.close(), unix.close(), refusing.close()]);
    }
  });

  it('chooses redis-server on the PATH without asking Docker, else Docker when it answers, else nothing', async () => {
    const engine = await startFakeDockerEngine();
    const closed = await freePort();
    const bin = join(root, 'bin');
    mkdirSync(bin);
    for (const command of ['redis-server', 'redis-cli']) {
      writeFileSync(join(bin, command), '#!/bin/sh\n');
      chmodSync(join(bin, command), 0o755);
    }
    const empty = join(root, 'empty');
    mkdirSync(empty);
    try {
      expect(await redisRuntime(['redis-server', 'redis-cli'], { PATH: bin, DOCKER_HOST: engine.dockerHost })).to.equal('path');
      expect(engine.requests).to.deep.equal([]);
      expect(await redisRuntime(['redis-server'], { PATH: empty, DOCKER_HOST: engine.dockerHost })).to.equal('docker');
      expect(await redisRuntime(['redis-server'], { PATH: empty, DOCKER_HOST: `tcp://127.0.0.1:${closed}` })).to.equal(undefined);
    } finally {
      await engine.close();
    }
  });
});
