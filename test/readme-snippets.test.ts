import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startRedisServer } from '../src/testing/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const SNIPPETS = join(ROOT, 'examples/snippets');
const TSCONFIG = join(SNIPPETS, 'tsconfig.json');
/** The snippets that run on their own (the others are fragments of an app: type-checked only). */
const RUNNABLE = ['engine.ts', 'lifecycle.ts', 'export-user.ts', 'funnels.ts'];

/** Every ```ts block of README.md with the snippet file its marker line names (undefined when unmarked). */
function readmeBlocks(): { file: string | undefined; code: string; line: number }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/(?:<!-- snippet: (\S+) -->\n)?```ts\n([\s\S]*?)```\n/g)].map((match) => ({
    file: match[1],
    code: match[2] ?? '',
    line: readme.slice(0, match.index).split('\n').length,
  }));
}

/** The values a snippet promises: the comment of each `console.log(...); // value` line, in order. */
function promisedOutput(code: string): string[] {
  return [...code.matchAll(/^console\.log\(.*\);\s*\/\/ (.+)$/gm)].map((match) => (match[1] ?? '').trim());
}

const compact = (text: string) => text.replace(/\s+/g, '');

describe('README: every TypeScript snippet is a file of examples/snippets/ that the tests check', function () {
  this.timeout(60_000);

  it('shows each snippet file verbatim, under its marker, and no TypeScript block without one', () => {
    const blocks = readmeBlocks();
    for (const block of blocks) {
      expect(block.file, `README.md line ${block.line}: mark the block with <!-- snippet: examples/snippets/NAME.ts -->`).to.be.a('string');
      const file = readFileSync(join(ROOT, block.file ?? ''), 'utf8');
      expect(block.code, `README.md line ${block.line} differs from ${block.file}: copy one to the other`).to.equal(file);
    }
    const files = readdirSync(SNIPPETS).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));
    expect(blocks.map((block) => block.file).sort()).to.deep.equal(files.map((name) => `examples/snippets/${name}`).sort());
  });

  it('type-checks every snippet against the sources (fragments with the app context of context.d.ts)', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const output = await run(process.execPath, [tsc, '-p', TSCONFIG], { cwd: ROOT }).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(output).to.equal('');
  });

  for (const name of RUNNABLE) {
    it(`runs ${name} on a fresh redis-server and prints what its comments say`, async () => {
      const code = readFileSync(join(SNIPPETS, name), 'utf8');
      const promised = promisedOutput(code);
      expect(promised.length).to.be.greaterThan(0);
      const server = await startRedisServer();
      try {
        const env = { ...process.env, BITMAPIST_REDIS_URL: server.url, TSX_TSCONFIG_PATH: TSCONFIG };
        const { stdout } = await run(process.execPath, ['--import', 'tsx', join(SNIPPETS, name)], { cwd: ROOT, env });
        const printed = stdout.trimEnd().split('\n');
        expect(printed.map(compact)).to.deep.equal(promised.map(compact));
      } finally {
        await server.stop();
      }
    });
  }
});
