import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { findChromium } from '../browser/find-chromium.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Runs `startRedisServer(options)` in a child process whose TMPDIR is a private directory (other runs share
 * /tmp) and PATH is `path`; resolves to the error message and what the call left in that TMPDIR.
 */
async function failedStart(root: string, path: string, options: object): Promise<{ message: string; left: string[] }> {
  const privateTmp = join(root, 'tmp');
  mkdirSync(privateTmp);
  const script =
    `import { startRedisServer } from ${JSON.stringify(join(ROOT, 'src/testing/index.ts'))};\n` +
    `await startRedisServer(${JSON.stringify(options)}).then(` +
    `(server) => server.stop().then(() => console.log('started')), (error) => console.log(error.name + ': ' + error.message));\n`;
  const env = { ...process.env, TMPDIR: privateTmp, PATH: path };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: ROOT });
  // tsx keeps its own cache there (tsx-<uid>).
  return { message: stdout.trim(), left: readdirSync(privateTmp).filter((name) => !name.startsWith('tsx-')) };
}

describe('testing: when redis-server cannot start', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bitmapist-start-redis-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('throws RedisServerNotFoundError and leaves no directory when redis-server is not on the PATH', async () => {
    mkdirSync(join(root, 'empty-bin'));
    const { message, left } = await failedStart(root, join(root, 'empty-bin'), {});
    expect(message).to.match(/^RedisServerNotFoundError: redis-server was not found on PATH\. Install Redis/);
    expect(left).to.deep.equal([]);
  });

  it('leaves no directory when redis-server exits before it is ready', async () => {
    const bin = join(root, 'broken-redis-server');
    writeFileSync(bin, '#!/bin/sh\nexit 3\n');
    chmodSync(bin, 0o755);
    const { message, left } = await failedStart(root, process.env.PATH ?? '', { bin });
    expect(message).to.equal(`Error: ${bin} exited with code 3 before it was ready`);
    expect(left).to.deep.equal([]);
  });

  it('stops the test run in the global setup, before any test, with the install command', async () => {
    mkdirSync(join(root, 'empty-bin'));
    const mocha = join(ROOT, 'node_modules/mocha/bin/mocha.js');
    const args = [mocha, '--no-config', '--import=tsx', '--require', 'test/support/global.ts', 'test/engine/keys.test.ts'];
    const env = { ...process.env, PATH: join(root, 'empty-bin'), CHROMIUM_PATH: findChromium(), REDIS_URL: '' };
    const failure = await run(process.execPath, args, { env, cwd: ROOT }).then(
      () => expect.fail('mocha should have stopped'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure.code).to.not.equal(0);
    expect(failure.stderr).to.contain('The tests need Redis and none was found: install redis-server (Debian/Ubuntu: apt-get install -y redis-server');
    expect(failure.stdout).to.not.contain('passing');
  });
});
