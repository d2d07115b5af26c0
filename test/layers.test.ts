import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { expect } from 'chai';

const SRC = resolve(import.meta.dirname, '../src');

/** Every .ts file under src/ (relative to src/), with what it imports or re-exports, type-only included. */
function sourceImports(): { file: string; specifiers: string[]; text: string }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  return files.map((name) => {
    const text = readFileSync(join(SRC, name), 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)'|^import '([^']+)'|\bimport\('([^']+)'\)/gm)].map(
      (match) => match[1] ?? match[2] ?? match[3] ?? '',
    );
    return { file: relative(SRC, join(SRC, name)).replaceAll('\\', '/'), specifiers, text };
  });
}

/** The src-relative file a relative specifier names (`./x.js` is `x.ts`); undefined for a package. */
function target(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return normalize(join(dirname(file), specifier)).replaceAll('\\', '/').replace(/\.js$/, '.ts');
}

/** The layer of an engine file: 0 errors and argument checks, 1 redis/keys/time/ids, 2 marking/query/users, 3 insights, 4 the engine class. */
function engineLevel(file: string): number {
  const [, folder] = file.split('/');
  if (folder === 'errors.ts' || folder === 'arguments.ts') return 0;
  if (['redis', 'keys', 'time', 'ids'].includes(folder!)) return 1;
  if (['marking', 'query', 'users'].includes(folder!)) return 2;
  if (folder === 'insights') return 3;
  return 4;
}

const PAGES = ['events', 'cohort', 'trends', 'active-users', 'lifecycle', 'funnels'];

/** The dashboard page folder a file is in, if any. */
function pageOf(file: string): string | undefined {
  const [layer, folder] = file.split('/');
  return layer === 'dashboard' && PAGES.includes(folder!) ? folder : undefined;
}

describe('layers: who may import whom (docs/ARCHITECTURE.md)', () => {
  const sources = sourceImports();
  const edges = sources.flatMap(({ file, specifiers }) => specifiers.map((specifier) => ({ file, specifier, to: target(file, specifier) })));

  it('has no module but an index import an index file (no cycles through the public surface)', () => {
    const offenders = edges.filter(({ file, specifier }) => !file.endsWith('index.ts') && /(^|\/)index\.js$/.test(specifier));
    expect(offenders.map(({ file, specifier }) => `${file} -> ${specifier}`)).to.deep.equal([]);
  });

  it('keeps index files to re-exports (no logic)', () => {
    const logic = sources
      .filter(({ file }) => file.endsWith('index.ts'))
      .filter(({ text }) => text.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').some((line) => line.trim() !== '' && !/^(export|\}|\s)/.test(line) && !line.trim().startsWith('//')));
    expect(logic.map(({ file }) => file)).to.deep.equal([]);
  });

  it('keeps the engine free of everything above it, and its folders in their order', () => {
    const crossings = edges.filter(({ file, specifier, to }) => {
      if (!file.startsWith('engine/')) return false;
      if (to === undefined) return /^(koa|@koa\/|typeorm|koa-)/.test(specifier);
      if (!to.startsWith('engine/')) return true;
      return engineLevel(to) > engineLevel(file);
    });
    expect(crossings.map(({ file, specifier }) => `${file} -> ${specifier}`)).to.deep.equal([]);
  });

  it('keeps the dashboard free of Koa (it declares a host interface) and its pages apart', () => {
    const crossings = edges.filter(({ file, specifier, to }) => {
      if (!file.startsWith('dashboard/')) return false;
      if (to === undefined) return /^(koa|@koa\/|typeorm|koa-)/.test(specifier);
      if (!to.startsWith('dashboard/') && !to.startsWith('engine/')) return true;
      const page = pageOf(file);
      const other = pageOf(to);
      // A page imports only itself and the shared folders; shared code and charts import no page.
      if (other !== undefined && other !== page && !['dashboard/pages.ts', 'dashboard/index.ts'].includes(file)) return true;
      return false;
    });
    expect(crossings.map(({ file, specifier }) => `${file} -> ${specifier}`)).to.deep.equal([]);
  });

  it('keeps the ORM on the engine only, and the Koa layer off the ORM', () => {
    const crossings = edges.filter(({ file, specifier, to }) => {
      if (file.startsWith('orm/')) return to === undefined ? /^(koa|@koa\/)/.test(specifier) : !to.startsWith('orm/') && !to.startsWith('engine/');
      if (file.startsWith('koa/')) return to === undefined ? /^typeorm/.test(specifier) : to.startsWith('orm/');
      if (file.startsWith('testing/')) return to !== undefined && !to.startsWith('testing/');
      return false;
    });
    expect(crossings.map(({ file, specifier }) => `${file} -> ${specifier}`)).to.deep.equal([]);
  });

  it('has no import circle anywhere, type-only imports included', () => {
    const graph = new Map<string, string[]>();
    for (const { file, to } of edges) if (to !== undefined) graph.set(file, [...(graph.get(file) ?? []), to]);
    // Tarjan's strongly connected components: any with two or more files is a circle.
    let index = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (node: string) => {
      order.set(node, index);
      low.set(node, index++);
      stack.push(node);
      onStack.add(node);
      for (const next of graph.get(node) ?? []) {
        if (!order.has(next)) {
          visit(next);
          low.set(node, Math.min(low.get(node)!, low.get(next)!));
        } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, order.get(next)!));
      }
      if (low.get(node) === order.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        if (component.length > 1) circles.push(component.sort());
      }
    };
    for (const { file } of sources) if (!order.has(file)) visit(file);
    expect(circles).to.deep.equal([]);
  });
});
