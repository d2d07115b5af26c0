import { Router } from '@koa/router';
import fc from 'fast-check';
import { Cluster, type Redis } from 'ioredis';
import Koa from 'koa';
import { BitmapistArgumentError, type CohortMode, type TimeGroup } from '../../../src/index.js';
import { DASHBOARD_LIMITS, mark, type KoaBitmapist } from '../../../src/koa/index.js';
import { collectErrors } from '../../koa/support.js';

/** Event names the seed writes, dashboard queries pick from them. */
export const SEEDED = ['a', 'b{1}', 'c_d', 'é:ü 😀', '{x}{y}', '}{', 'z'.repeat(DASHBOARD_LIMITS.maxEventNameLength)];
export const FIRST_DAY = Date.UTC(2025, 0, 1);
export const DAYS = 120;
/** The plugin's `maxUserId`: a mark at 2^32 - 1 would allocate 512 MB per bitmap in the compatible layout. */
export const MAX_USER_ID = 1_000_000;

/** Strings a hostile client might send: unicode, braces, underscores, colons, spaces, 10 KB, numbers of every kind. */
export const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('{', '}', '_', ':', ' ', '*', '?', '[', '\\', '%', '&', '=', '+', 'a', 'é', '😀', '0'), maxLength: 30 }),
  fc.constantFrom('x'.repeat(10_240), '9'.repeat(10_240), '{'.repeat(2_000)),
  fc.integer({ min: -1_000, max: 1_000 }).map(String),
  fc.constantFrom('NaN', 'Infinity', '-0', '1e3', '0x10', '90', '91', '0', '-1', '4294967296', '9007199254740993', '1.5', ' 5', '٣'),
  fc.constantFrom('days', 'weeks', 'months', 'years', 'hours', 'first', 'recurring', 'unbounded', 'and', 'or', 'json', 'csv', 'html', 'percent'),
  fc.constantFrom('2025-03-01', '2025-02-29', '0001-01-01', '0000-12-31', '9999-12-31', '2025-03-01T12:00:00Z', '2025-03-01T25:00:00Z', 'never'),
  fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'default', ''),
  fc.constantFrom(...SEEDED),
);

/** Event names not seeded nor marked by the `mark()` route, so that a model of what HTTP marked is exact. */
export const freshName = hostileText.filter((name) => name !== 'visit' && !SEEDED.includes(name));

/** Whether these values fit in a URL Node accepts (16 KB of request line and headers, else 431 before any app code). */
export const fitsInUrl = (values: string[]) => values.reduce((length, value) => length + encodeURIComponent(value).length, 0) < 14_000;

/** The dashboard pages, bare or with a valid cohort that the hostile query string then adds to. */
export const PAGES = ['/bitmapist/?', '/bitmapist/cohort?', `/bitmapist/cohort?primary=a&secondary=${encodeURIComponent('{x}{y}')}&`];

export const PARAMS = ['primary', 'secondary', 'additional', 'additionalOp', 'timeGroup', 'rows', 'cols', 'mode', 'now', 'display', 'format', 'system', 'prefix'];
/** Query strings: known and unknown parameters, any of them repeated, plus raw malformed pieces. */
export const hostileQuery = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constantFrom(...PARAMS), hostileText).map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
      fc.tuple(hostileText, hostileText).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
      fc.constantFrom('%', '%ZZ', 'rows=%E0%A4%A', '&&', '=', 'primary', 'rows[]=1', 'primary=a%00b'),
    ),
    { maxLength: 14 },
  )
  .map((pairs) => pairs.join('&'))
  .filter((query) => query.length < 14_000);

/** Valid cohort parameters (small tables, to keep runs fast; the caps themselves are checked below). */
export const validCohort = fc.record({
  primary: fc.constantFrom(...SEEDED),
  secondary: fc.constantFrom(...SEEDED),
  additional: fc.array(fc.record({ name: fc.constantFrom(...SEEDED), op: fc.constantFrom<'and' | 'or'>('and', 'or') }), { maxLength: 3 }),
  timeGroup: fc.constantFrom<TimeGroup>('days', 'weeks', 'months', 'years'),
  rows: fc.integer({ min: 1, max: 12 }),
  cols: fc.integer({ min: 1, max: 12 }),
  mode: fc.constantFrom<CohortMode>('first', 'recurring', 'unbounded'),
  now: fc.date({ min: new Date(FIRST_DAY), max: new Date(FIRST_DAY + (DAYS + 30) * 86_400_000), noInvalidDate: true }),
  dayOnly: fc.boolean(),
  display: fc.constantFrom('counts', 'percent'),
});

/** A deterministic seed: every uid below 3,000 (spread over a dozen 256-id blocks) does some events on some days. */
export function* seedMarks() {
  let state = 7;
  const next = (n: number) => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31), state % n);
  for (let uid = 0; uid < 3_000; uid += 1) {
    for (let k = next(4); k >= 0; k -= 1) {
      yield { event: SEEDED[next(SEEDED.length)]!, uid, now: new Date(FIRST_DAY + next(DAYS) * 86_400_000 + next(86_400_000)) };
    }
  }
}

/** Every key of the test Redis or Cluster (all masters). */
export async function allKeys(client: Redis | Cluster): Promise<Set<string>> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const keys = new Set<string>();
  for (const node of nodes) {
    for await (const batch of node.scanStream({ count: 1000 })) for (const key of batch as string[]) keys.add(key);
  }
  return keys;
}

export async function deleteKeys(client: Redis | Cluster, keys: Iterable<string>): Promise<void> {
  await Promise.all([...keys].map((key) => client.unlink(key)));
}

/** The app under test: the plugin with its dashboard, a `mark()` route and a route marking any event. */
export function hostileApp(plugin: (app: Koa) => KoaBitmapist) {
  const app = new Koa();
  const errors = collectErrors(app);
  const bitmapist = plugin(app);
  const routes = new Router();
  routes.get('/visit', mark('visit', (ctx) => ctx.query.uid as string | undefined), (ctx) => {
    ctx.body = 'ok';
  });
  routes.get('/track', (ctx) => {
    try {
      ctx.bitmapist.markEvent(ctx.query.event as string, ctx.query.uid as string);
      ctx.body = 'ok';
    } catch (error) {
      if (!(error instanceof BitmapistArgumentError)) throw error;
      ctx.status = 400;
      ctx.body = { error: error.message, parameter: error.argument };
    }
  });
  app.use(routes.routes());
  return { app, bitmapist, errors };
}
