/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and adds up the sampled time by where the code lives, so the
 * bench can say where a request's time goes: our engine, our Koa layer, ioredis, Koa and the other
 * middleware, Node itself, the garbage collector.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The categories of {@link categorize}, in the order the report lists them. */
export const CATEGORIES = [
  'engine (src/, outside src/koa/)',
  'Koa layer (src/koa/)',
  'example app (examples/)',
  'ioredis',
  'Koa, passport, session and other packages',
  'Node.js (http, streams, timers, ...)',
  'garbage collector',
  'native (system calls, ...)',
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Where a profiled function lives; undefined for idle time. */
export function categorize(functionName: string, url: string): Category | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (url.includes('/node_modules/')) {
    return /\/node_modules\/(ioredis|redis-parser|denque|cluster-key-slot|standard-as-callback|redis-errors)\//.test(url)
      ? 'ioredis'
      : 'Koa, passport, session and other packages';
  }
  if (url.includes('/src/koa/')) return 'Koa layer (src/koa/)';
  if (url.includes('/src/')) return 'engine (src/, outside src/koa/)';
  if (url.includes('/examples/')) return 'example app (examples/)';
  if (url.startsWith('node:')) return 'Node.js (http, streams, timers, ...)';
  return 'native (system calls, ...)';
}

/** Self time of a profile, in ms: per category, and per function (`name (package or path)`). */
export interface ProfileTimes {
  byCategory: Map<Category, number>;
  byFunction: Map<string, number>;
}

/** Reads the main thread's profile in `dir` (the largest file) and adds its self time up. */
export function readProfile(dir: string): ProfileTimes {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) throw new Error(`no CPU profile in ${dir}`);
  const profile = JSON.parse(readFileSync(files[0]!, 'utf8')) as Profile;
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byCategory = new Map<Category, number>(CATEGORIES.map((category) => [category, 0]));
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame;
    const category = categorize(functionName, url);
    if (category === undefined) continue;
    const ms = (selfUs.get(node.id) ?? 0) / 1000;
    byCategory.set(category, byCategory.get(category)! + ms);
    const name = `${functionName || '(anonymous)'} (${shortUrl(url)})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }
  return { byCategory, byFunction };
}

/** `koa/lib/request.js`, `src/koa/mark.ts`, `node:events`, or `native`. */
function shortUrl(url: string): string {
  if (url === '') return 'native';
  if (url.startsWith('node:')) return url;
  const inPackage = /\/node_modules\/(.*)$/.exec(url);
  if (inPackage) return inPackage[1]!.split('/').filter((part, i, parts) => i === 0 || i >= parts.length - 2).join('/');
  const inRepo = /\/((?:src|examples|bench)\/.*)$/.exec(url);
  return inRepo ? inRepo[1]! : url.split('/').slice(-2).join('/');
}
