import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ChromiumNotFoundError, findChromium } from './find-chromium.js';

const run = promisify(execFile);

describe('browser: finding Chromium', () => {
  let root: string;
  /** Creates `<root>/<dir>/<name>`, executable unless told otherwise; returns its path. */
  function binary(dir: string, name: string, executable = true): string {
    mkdirSync(join(root, dir), { recursive: true });
    const file = join(root, dir, name);
    writeFileSync(file, '#!/bin/sh\nexit 1\n');
    chmodSync(file, executable ? 0o755 : 0o644);
    return file;
  }
  const path = (...dirs: string[]) => dirs.map((dir) => join(root, dir)).join(delimiter);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bitmapist-find-chromium-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('takes CHROMIUM_PATH first, then BROWSER_PATH, over anything on the PATH', () => {
    const onPath = binary('bin', 'chromium');
    const named = binary('elsewhere', 'my-chrome');
    const other = binary('elsewhere', 'other-chrome');
    expect(findChromium({ PATH: path('bin'), CHROMIUM_PATH: named, BROWSER_PATH: other })).to.equal(named);
    expect(findChromium({ PATH: path('bin'), BROWSER_PATH: other })).to.equal(other);
    expect(findChromium({ PATH: path('bin') })).to.equal(onPath);
  });

  it('refuses an env variable that names a missing or non-executable file instead of looking further', () => {
    binary('bin', 'chromium');
    const plain = binary('elsewhere', 'chrome', false);
    expect(() => findChromium({ PATH: path('bin'), CHROMIUM_PATH: join(root, 'missing') })).to.throw(ChromiumNotFoundError, `CHROMIUM_PATH=${join(root, 'missing')} is not an executable file`);
    expect(() => findChromium({ PATH: path('bin'), BROWSER_PATH: plain })).to.throw(ChromiumNotFoundError, 'BROWSER_PATH=');
  });

  it('looks for chromium, chromium-browser, google-chrome, google-chrome-stable on the PATH, in that order', () => {
    const stable = binary('a', 'google-chrome-stable');
    expect(findChromium({ PATH: path('empty', 'a') })).to.equal(stable);
    const chrome = binary('a', 'google-chrome');
    expect(findChromium({ PATH: path('a') })).to.equal(chrome);
    const browser = binary('b', 'chromium-browser');
    expect(findChromium({ PATH: path('a', 'b') })).to.equal(browser);
    binary('c', 'chromium', false);
    expect(findChromium({ PATH: path('c', 'a', 'b') })).to.equal(browser);
    const chromium = binary('d', 'chromium');
    expect(findChromium({ PATH: path('a', 'b', 'c', 'd') })).to.equal(chromium);
  });

  it('fails with the install instruction when there is none', () => {
    binary('bin', 'firefox');
    expect(() => findChromium({ PATH: path('bin') })).to.throw(ChromiumNotFoundError, 'apt-get install -y chromium');
    expect(() => findChromium({})).to.throw(ChromiumNotFoundError, 'set CHROMIUM_PATH');
  });

  it('stops the test run in the global setup, before any test, when there is none', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const mocha = resolve(import.meta.dirname, '../../node_modules/mocha/bin/mocha.js');
    const args = [mocha, '--no-config', '--import=tsx', '--require', 'test/support/global.ts', 'test/engine/keys/key-names.test.ts'];
    const env = { ...process.env, PATH: bin, CHROMIUM_PATH: '', BROWSER_PATH: '' };
    const failure = await run(process.execPath, args, { env, cwd: resolve(import.meta.dirname, '../..') }).then(
      () => expect.fail('mocha should have stopped'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure.code).to.not.equal(0);
    expect(failure.stderr).to.contain('ChromiumNotFoundError').and.to.contain('apt-get install -y chromium');
    expect(failure.stdout).to.not.contain('passing');
  });

  it('leaves nothing in the temp directory when the launch fails', async () => {
    const privateTmp = join(root, 'tmp');
    mkdirSync(privateTmp);
    const chromiumModule = resolve(import.meta.dirname, 'chromium.ts');
    const script =
      `import { launchChromium } from ${JSON.stringify(chromiumModule)};\n` +
      `await launchChromium(undefined, ${JSON.stringify(join(root, 'no-such-chromium'))}).then(` +
      `() => console.log('launched'), (error) => console.log(error.message.split('\\n')[0]));\n`;
    const env = { ...process.env, TMPDIR: privateTmp };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: resolve(import.meta.dirname, '../..') });
    expect(stdout).to.contain("Failed to launch chromium because executable doesn't exist");
    // tsx keeps its own cache there (tsx-<uid>); nothing else may remain.
    expect(readdirSync(privateTmp).filter((name) => !name.startsWith('tsx-'))).to.deep.equal([]);
  });
});
