import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { installConsumer, packPackage, ROOT, typeCheck, type PackedPackage } from './support/packing.js';

const run = promisify(execFile);
/** Packages no entry point may load unless it is the one that needs them. */
const OPTIONAL = ['koa', '@koa/router', 'koa-passport', 'passport', 'koa-session', 'typeorm', 'better-sqlite3', 'sql.js', 'testcontainers'];
const KOA_ONLY = ['koa', '@koa/router'];

/**
 * `npm pack`, then three consumer projects outside the repository (so nothing resolves from its
 * node_modules), each with only what its entry point needs: the engine alone, + koa, + typeorm. Each
 * consumer holds a `@ts-expect-error` line, so a declaration that degrades to `any` fails the check too.
 */
describe('build: the packed tarball, as consumers install it', function () {
  this.timeout(180_000);
  let parent: string;
  let packed: PackedPackage;
  const consumer = { engine: '', koa: '', typeorm: '' };
  /** The output of `tsc --strict --skipLibCheck false --noEmit` in each consumer ('' when it passes). */
  const tscOutput = { engine: '', koa: '', typeorm: '' };

  before(async () => {
    parent = mkdtempSync(join(tmpdir(), 'koa-bitmapist-consumers-'));
    packed = await packPackage(parent);
    const packages = { engine: ['@types/node'], koa: ['@types/node', 'koa', '@types/koa'], typeorm: ['@types/node', 'typeorm'] };
    // Installs and type-checks run side by side: each tsc reads all of @types/node (skipLibCheck false).
    await Promise.all(
      (['engine', 'koa', 'typeorm'] as const).map(async (name) => {
        consumer[name] = await installConsumer(parent, name, packed.tarball, packages[name]);
        tscOutput[name] = await typeCheck(consumer[name]);
      }),
    );
  });

  after(() => {
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  /** Runs a script of the consumer with Node, FORBIDDEN_PACKAGES set; resolves to its parsed output. */
  async function runIn(dir: string, forbidden: string[], args: string[]): Promise<unknown> {
    const env = { ...process.env, FORBIDDEN_PACKAGES: JSON.stringify(forbidden) };
    const { stdout } = await run(process.execPath, ['--no-warnings', ...args], { cwd: dir, env });
    return JSON.parse(stdout);
  }

  it('holds LICENSE, README, package.json, the docs images, every Lua script and dist/, without source maps or sources', () => {
    const pngs = readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.png')).map((file) => `docs/${file}`);
    const lua = readdirSync(join(ROOT, 'lua')).map((file) => `lua/${file}`);
    expect(pngs).to.include('docs/dashboard.png');
    expect(packed.files).to.include.members(['LICENSE', 'README.md', 'package.json', ...pngs, ...lua]);
    expect(packed.files).to.include.members(['dist/index.d.ts', 'dist/koa/index.d.ts', 'dist/orm/index.d.ts', 'dist/testing/index.d.ts']);
    expect(packed.files.filter((file) => !/^(dist|lua|docs)\/|^(LICENSE|README\.md|package\.json)$/.test(file))).to.deep.equal([]);
    expect(packed.files.filter((file) => file.endsWith('.map'))).to.deep.equal([]);
    const shipped = join(consumer.engine, 'node_modules/koa-bitmapist');
    const mapped = packed.files.filter((file) => file.endsWith('.js') && readFileSync(join(shipped, file), 'utf8').includes('sourceMappingURL'));
    expect(mapped).to.deep.equal([]);
    const manifest = JSON.parse(readFileSync(join(shipped, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.license).to.equal('MIT');
    expect(manifest.repository).to.deep.equal({ type: 'git', url: 'git+https://github.com/koa-bitmapist/koa-bitmapist.git' });
    expect(readFileSync(join(shipped, 'LICENSE'), 'utf8')).to.match(/^MIT License\n\nCopyright \(c\) 2026 koa-bitmapist contributors\n/);
  });

  it('type-checks strictly (skipLibCheck false) for an engine-only consumer: no @types/koa or typeorm installed', () => {
    for (const absent of ['@types/koa', 'typeorm']) expect(existsSync(join(consumer.engine, 'node_modules', absent)), absent).to.equal(false);
    expect(tscOutput.engine).to.equal('');
  });

  it('type-checks strictly for a Koa consumer with koa and @types/koa (ctx.bitmapist typed), no typeorm', () => {
    expect(existsSync(join(consumer.koa, 'node_modules/typeorm'))).to.equal(false);
    expect(tscOutput.koa).to.equal('');
  });

  it('type-checks strictly for a TypeORM consumer with typeorm, no @types/koa', () => {
    expect(existsSync(join(consumer.typeorm, 'node_modules/@types/koa'))).to.equal(false);
    expect(tscOutput.typeorm).to.equal('');
  });

  it('imports each entry point from ESM without loading what it does not need', async () => {
    const engine = (await runIn(consumer.engine, OPTIONAL, ['--import', './register.mjs', 'esm.mjs', 'koa-bitmapist', 'koa-bitmapist/testing'])) as Record<string, string[]>;
    expect(engine['koa-bitmapist']).to.include.members(['Bitmapist', 'BitmapistArgumentError', 'KeyNames', 'MARK_BATCH_SIZE']);
    expect(engine['koa-bitmapist']).to.not.include.members(['koaBitmapist']);
    expect(engine['koa-bitmapist/testing']).to.include.members(['startRedisServer', 'startRedisCluster', 'seededRandom']);
    const forbidden = OPTIONAL.filter((name) => !KOA_ONLY.includes(name));
    const koa = (await runIn(consumer.koa, forbidden, ['--import', './register.mjs', 'esm.mjs', 'koa-bitmapist/koa'])) as Record<string, string[]>;
    expect(koa['koa-bitmapist/koa']).to.include.members(['koaBitmapist', 'mark', 'markEvent', 'DASHBOARD_LIMITS', 'MarkQueueOverflowError']);
    expect(koa['koa-bitmapist/koa']).to.not.include('Bitmapist');
    const orm = (await runIn(consumer.typeorm, OPTIONAL, ['--import', './register.mjs', 'esm.mjs', 'koa-bitmapist/typeorm'])) as Record<string, string[]>;
    expect(orm['koa-bitmapist/typeorm']).to.deep.equal(['Bitmapistable', 'isBitmapistable', 'trackEntities']);
  });

  it('requires each entry point from CommonJS (require of ESM, Node >= 20.19) without loading what it does not need', async () => {
    expect(await runIn(consumer.engine, OPTIONAL, ['cjs.cjs', 'koa-bitmapist'])).to.deep.include({ loaded: [] });
    const forbidden = OPTIONAL.filter((name) => !KOA_ONLY.includes(name));
    const koa = (await runIn(consumer.koa, forbidden, ['cjs.cjs', 'koa-bitmapist/koa'])) as { exports: string[]; loaded: string[] };
    expect(koa.loaded).to.deep.equal([]);
    expect(koa.exports).to.include.members(['koaBitmapist', 'mark']);
    const orm = (await runIn(consumer.typeorm, OPTIONAL, ['cjs.cjs', 'koa-bitmapist/typeorm'])) as { exports: string[]; loaded: string[] };
    expect(orm).to.deep.equal({ exports: ['Bitmapistable', 'isBitmapistable', 'trackEntities'], loaded: [] });
  });
});
