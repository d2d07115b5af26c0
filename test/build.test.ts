import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
/** Packages the library must not load at runtime: koa is a peer, the rest are optional integrations. */
const FORBIDDEN = ['koa', 'koa-passport', 'passport', 'passport-local', 'typeorm', 'better-sqlite3', 'koa-session'];
const EXPECTED_EXPORTS = ['Bitmapist', 'Bitmapistable', 'koaBitmapist', 'mark', 'markEvent', 'trackEntities', 'MarkQueueOverflowError'];

/**
 * The scratch files live under the package (in the git-ignored `.tmp/`), so that `koa-bitmapist` resolves
 * to this package through its own `exports`, as it would for a user.
 */
describe('build: dist/ from ESM, CommonJS and TypeScript', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    await run('npm', ['run', 'build'], { cwd: ROOT });
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(ROOT, '.tmp', 'build-test-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports from ESM without loading koa, passport, koa-passport or typeorm', async () => {
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `const forbidden = ${JSON.stringify(FORBIDDEN)};
export async function resolve(specifier, context, next) {
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  if (forbidden.includes(name)) throw new Error('koa-bitmapist loaded ' + specifier);
  return next(specifier, context);
}\n`,
    );
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    writeFileSync(
      join(dir, 'esm.mjs'),
      `import * as lib from 'koa-bitmapist';
import * as testing from 'koa-bitmapist/testing';
console.log(JSON.stringify({ exports: Object.keys(lib).sort(), testing: typeof testing.startRedisServer, limits: lib.DASHBOARD_LIMITS }));\n`,
    );
    const { stdout } = await run(process.execPath, ['--import', './register.mjs', 'esm.mjs'], { cwd: dir });
    const result = JSON.parse(stdout);
    expect(result.exports).to.include.members(EXPECTED_EXPORTS);
    expect(result.testing).to.equal('function');
    expect(result.limits).to.deep.equal({ maxRows: 90, maxCols: 90, maxAdditionalEvents: 10, maxEventNameLength: 512 });
  });

  it('requires from CommonJS (require of ESM, Node >= 20.19) without loading the optional packages', async () => {
    writeFileSync(
      join(dir, 'cjs.cjs'),
      `const lib = require('koa-bitmapist');
const loaded = Object.keys(require.cache).filter((file) => ${JSON.stringify(FORBIDDEN)}.some((name) => file.includes('/node_modules/' + name + '/')));
console.log(JSON.stringify({ koaBitmapist: typeof lib.koaBitmapist, mark: typeof lib.mark, engine: typeof lib.Bitmapist, loaded }));\n`,
    );
    const { stdout } = await run(process.execPath, ['--no-warnings', 'cjs.cjs'], { cwd: dir });
    expect(JSON.parse(stdout)).to.deep.equal({ koaBitmapist: 'function', mark: 'function', engine: 'function', loaded: [] });
  });

  it('ships declarations that type ctx.bitmapist for a TypeScript user', async () => {
    expect(readFileSync(join(ROOT, 'dist/koa/context.d.ts'), 'utf8')).to.contain("declare module 'koa'");
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import Koa from 'koa';
import { koaBitmapist, mark } from 'koa-bitmapist';
const app = new Koa();
const bitmapist = koaBitmapist(app, { redisUrl: 'redis://localhost:6379' });
app.use(mark('page:viewed', (ctx) => ctx.query.uid as string | undefined));
app.use((ctx) => {
  ctx.bitmapist.markEvent('x', 1);
  // @ts-expect-error ids are numbers, bigints or digit strings
  ctx.bitmapist.markEvent('x', { id: 1 });
});
void bitmapist.close();\n`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, types: [] },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir }).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed:\n${error.stdout}`);
    });
    expect(stdout).to.equal('');
  });
});
