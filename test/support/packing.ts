import { execFile } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/consumers');

/** A tarball made by `npm pack`, and the files `npm pack --json` says it holds. */
export interface PackedPackage {
  tarball: string;
  files: string[];
}

/** Runs `npm pack` (its `prepack` script builds `dist/`) into `destination`. */
export async function packPackage(destination: string): Promise<PackedPackage> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: ROOT, maxBuffer: 16 << 20 });
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  return { tarball: join(destination, report.filename), files: report.files.map((file) => file.path).sort() };
}

/** The version of a package installed in this repository, so that a consumer's install hits the npm cache. */
export function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Copies the consumer project `test/fixtures/consumers/<name>` (and the `runtime/` scripts) into `parent` and installs the tarball plus
 * `packages` (names pinned to this repository's versions) from the npm cache, the registry only for what
 * the cache lacks. Returns the consumer's directory.
 */
export async function installConsumer(parent: string, name: string, tarball: string, packages: string[]): Promise<string> {
  const dir = join(parent, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  cpSync(join(FIXTURES, 'runtime'), dir, { recursive: true });
  const pinned = packages.map((pkg) => `${pkg}@${repoVersion(pkg)}`);
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'];
  await run('npm', ['install', ...flags, tarball, ...pinned], { cwd: dir, maxBuffer: 16 << 20 });
  return dir;
}

/** Runs this repository's `tsc --strict --skipLibCheck false --noEmit` in a consumer; resolves to its output. */
export async function typeCheck(dir: string): Promise<string> {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const args = [tsc, '-p', 'tsconfig.json', '--strict', '--skipLibCheck', 'false', '--noEmit'];
  return run(process.execPath, args, { cwd: dir }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  );
}
