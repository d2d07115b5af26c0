import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect } from 'chai';

const SRC = resolve(import.meta.dirname, '../src');

/** Every .ts file under src/, with the module specifiers it imports or re-exports. */
function sourceImports(): { file: string; specifiers: string[] }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  return files.map((name) => {
    const text = readFileSync(join(SRC, name), 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)'|^import '([^']+)'/gm)].map((match) => match[1] ?? match[2] ?? '');
    return { file: relative(SRC, join(SRC, name)), specifiers };
  });
}

describe('layers: the tree shows the same layers as the package exports', () => {
  it('has no module but an index import an index file (no cycles through the public surface)', () => {
    const offenders = sourceImports()
      .filter(({ file }) => !file.endsWith('index.ts'))
      .flatMap(({ file, specifiers }) => specifiers.filter((spec) => /(^|\/)index\.js$/.test(spec)).map((spec) => `${file} -> ${spec}`));
    expect(offenders).to.deep.equal([]);
  });

  it('keeps the engine free of Koa and TypeORM, and the Koa layer and the mixin apart', () => {
    const crossings = sourceImports().flatMap(({ file, specifiers }) =>
      specifiers
        .filter((spec) => {
          if (file.startsWith('engine/')) return /^(koa|@koa\/|typeorm)|\.\.\/(koa|orm)\//.test(spec);
          if (file.startsWith('koa/')) return /^typeorm|\.\.\/orm\//.test(spec);
          if (file.startsWith('orm/')) return /^(koa|@koa\/)|\.\.\/koa\//.test(spec);
          return false;
        })
        .map((spec) => `${file} -> ${spec}`),
    );
    expect(crossings).to.deep.equal([]);
  });
});
