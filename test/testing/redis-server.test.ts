import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { freePort } from '../../src/testing/index.js';
import { findChromium } from '../browser/find-chromium.js';
import { startFakeDockerEngine } from './fake-docker-engine.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Runs `startRedisServer(options)` in a child process whose TMPDIR is a private directory (other runs share
 * /tmp), PATH is `path` and DOCKER_HOST `dockerHost`; resolves to the error message and what the call left in
 * that TMPDIR.
 */
async function failedStart(root: string, path: string, dockerHost: string, options: object): Promise<{ message: string; left: string[] }> {
  const privateTmp = join(root, 'tmp');
  mkdirSync(privateTmp);
  const script =
    `import { startRedisServer } from ${JSON.stringify(join(ROOT, 'src/testing/index.ts'))};\n` +
    `await startRedisServer(${JSON.stringify(options)}).then(` +
    `(server) => server.stop().then(() => console.log('started')), (error) => console.log(error.name + ': ' + error.message));\n`;
  // HOME too: testcontainers reads ~/.testcontainers.properties and tries sockets under it.
  const env = { ...process.env, TMPDIR: privateTmp, PATH: path, DOCKER_HOST: dockerHost, HOME: root };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: ROOT });
  // tsx keeps its own cache there (tsx-<uid>).
  return { message: stdout.trim(), left: readdirSync(privateTmp).filter((name) => !name.startsWith('tsx-')) };
}

/**
 * Runs mocha's global setup (and one unit test file) in a child process with `env` on top of ours; resolves to
 * its failure (mocha must stop).
 */
async function failedGlobalSetup(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const mocha = join(ROOT, 'node_modules/mocha/bin/mocha.js');
  const args = [mocha, '--no-config', '--import=tsx', '--require', 'test/support/global.ts', 'test/engine/keys/key-names.test.ts'];
  return run(process.execPath, args, { env: { ...process.env, ...env }, cwd: ROOT }).then(
    () => expect.fail('mocha should have stopped'),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('testing: when redis-server cannot start', () => {
  let root: string;
  let noDocker: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'bitmapist-start-redis-'));
    noDocker = `tcp://127.0.0.1:${await freePort()}`; // a closed port: no Docker engine there
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('throws RedisServerNotFoundError and leaves no directory when redis-server is not on the PATH (and no Docker)', async () => {
    mkdirSync(join(root, 'empty-bin'));
    const { message, left } = await failedStart(root, join(root, 'empty-bin'), noDocker, {});
    expect(message).to.equal(
      'RedisServerNotFoundError: redis-server was not found on PATH. Install Redis (Debian/Ubuntu: apt-get install -y ' +
        'redis-server redis-tools; macOS: brew install redis), start a Docker engine (Redis then runs in a container ' +
        'through testcontainers), or set REDIS_URL.',
    );
    expect(left).to.deep.equal([]);
  });

  it('runs Redis through testcontainers when redis-server is not on the PATH and a Docker engine answers', async () => {
    mkdirSync(join(root, 'empty-bin'));
    const engine = await startFakeDockerEngine();
    try {
      const { message } = await failedStart(root, join(root, 'empty-bin'), engine.dockerHost, {});
      // testcontainers took the engine we found (it asked for /info) and failed on the fake's first refusal.
      expect(message).to.match(/^RedisContainerError: testcontainers could not start redis:7 in Docker: .*fake engine: no \//);
      expect(engine.requests[0]).to.equal('GET /_ping');
      expect(engine.requests.some((request) => /^GET (\/v[\d.]+)?\/info$/.test(request))).to.equal(true);
    } finally {
      await engine.close();
    }
  });

  it('leaves no directory when redis-server exits before it is ready', async () => {
    const bin = join(root, 'broken-redis-server');
    writeFileSync(bin, '#!/bin/sh\nexit 3\n');
    chmodSync(bin, 0o755);
    const { message, left } = await failedStart(root, process.env.PATH ?? '', noDocker, { bin });
    expect(message).to.equal(`Error: ${bin} exited with code 3 before it was ready`);
    expect(left).to.deep.equal([]);
  });

  it('stops the test run in the global setup, before any test, with the install command', async () => {
    mkdirSync(join(root, 'empty-bin'));
    const failure = await failedGlobalSetup({
      PATH: join(root, 'empty-bin'), CHROMIUM_PATH: findChromium(), REDIS_URL: '', REDIS_CLUSTER_NODES: '', DOCKER_HOST: noDocker,
    });
    expect(failure.code).to.not.equal(0);
    expect(failure.stderr).to.contain('The tests need Redis and none was found: install redis-server (Debian/Ubuntu: apt-get install -y redis-server');
    expect(failure.stderr).to.not.contain('Chromium');
    expect(failure.stdout).to.not.contain('passing');
  });

  it('names every missing piece with its install command in one error when Redis and Chromium are both missing', async () => {
    mkdirSync(join(root, 'empty-bin'));
    const failure = await failedGlobalSetup({
      PATH: join(root, 'empty-bin'), CHROMIUM_PATH: '', BROWSER_PATH: '', REDIS_URL: '', REDIS_CLUSTER_NODES: '', DOCKER_HOST: noDocker,
    });
    expect(failure.code).to.not.equal(0);
    expect(failure.stderr).to.contain(
      'The tests cannot run. Missing:\n' +
        '- The tests need Redis and none was found: install redis-server (Debian/Ubuntu: apt-get install -y redis-server ' +
        'redis-tools; macOS: brew install redis), start a Docker engine (Redis then runs in a container through ' +
        'testcontainers), or set REDIS_URL to an empty database (and REDIS_CLUSTER_NODES to an empty cluster).\n' +
        '- ChromiumNotFoundError: The browser test needs Chromium and none was found',
    );
    expect(failure.stderr).to.contain('Install it (Debian/Ubuntu: apt-get install -y chromium)');
    expect(failure.stdout).to.not.contain('passing');
  });
});
