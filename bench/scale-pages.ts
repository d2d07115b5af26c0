/**
 * The chart pages and a funnel in the scaling benchmark (issue 18): trends of 3 events, active users and the
 * lifecycle (with and without `created`) over 90 days through a real Koa app with the plugin (`?format=json`),
 * and `getFunnel` of 4 steps over 30 days (window 14). Each is timed by `measure()` (script calls, Redis commands,
 * the longest call, PING p99 of another client) and its answer checked against the same figures computed in Node
 * from the product's buffers (bench/page-model.ts, bench/funnel-model.ts).
 */
import type { DashboardApp, PageParams } from './dashboard-app.js';
import { modelFunnel, type FunnelModel } from './funnel-model.js';
import { assertActiveUsers, assertLifecycle, assertSame, assertTrend } from './page-checks.js';
import { modelActiveUsers, modelLifecycle, type ActiveUsersModel, type DayBitmap, type LifecycleModel } from './page-model.js';
import { measure, type Measured, type ScaleTarget } from './scale-measure.js';
import { activityDays, DAY_MS, LAST_DAY, popcount, signupRange, type ScaleProduct } from './scale-product.js';
import { rangeBitmap, SCALE_EVENTS } from './scale-writer.js';

/** The days the pages show. */
export const SCALE_PAGE_DAYS = 90;

/**
 * The funnel: the product has three events, so its fourth step repeats `user:active` (active again after the
 * purchase; the cost is that of any fourth event: one more bitmap read per period).
 */
export const SCALE_FUNNEL = { steps: ['user:signed_up', 'user:active', 'user:purchased', 'user:active'], periods: 30, window: 14 } as const;

/** The pages measured, in order. */
export const SCALE_PAGES = [
  { key: 'trends', label: `trends: ${SCALE_EVENTS.length} events x ${SCALE_PAGE_DAYS} days`, path: '/trends', params: { event: [...SCALE_EVENTS], periods: SCALE_PAGE_DAYS } },
  { key: 'active', label: `active users: ${SCALE_PAGE_DAYS} days`, path: '/active', params: { event: 'user:active', days: SCALE_PAGE_DAYS } },
  { key: 'lifecycle', label: `lifecycle: ${SCALE_PAGE_DAYS} days`, path: '/lifecycle', params: { event: 'user:active', periods: SCALE_PAGE_DAYS } },
  {
    key: 'lifecycleCreated',
    label: `lifecycle: ${SCALE_PAGE_DAYS} days, created user:signed_up`,
    path: '/lifecycle',
    params: { event: 'user:active', periods: SCALE_PAGE_DAYS, created: 'user:signed_up' },
  },
] as const satisfies readonly { key: string; label: string; path: string; params: PageParams }[];

export type ScalePage = (typeof SCALE_PAGES)[number];

/** A page's or the funnel's timings, and what its check covered. */
export interface PageMeasured extends Measured {
  label: string;
  checked: string;
}

/** What the pages and the funnel should answer, computed in Node once per size. */
export interface ExpectedPages {
  dates: string[];
  trends: number[][];
  active: ActiveUsersModel;
  lifecycle: LifecycleModel;
  lifecycleCreated: LifecycleModel;
  funnel: FunnelModel;
}

/** The figures of every page and of the funnel, from the product's buffers. */
export function expectedPages(product: ScaleProduct): ExpectedPages {
  const days = SCALE_PAGE_DAYS;
  const bits = 8 * Math.ceil(product.users / 8);
  const active = (day: number): DayBitmap => activityDays(product, product.active, day, day + 1)[0];
  const purchased = (day: number): DayBitmap => activityDays(product, product.purchased, day, day + 1)[0];
  const signups = (day: number): DayBitmap => rangeBitmap(...signupRange(product, day, day + 1));
  const first = LAST_DAY - (days - 1);
  const shown = Array.from({ length: days }, (_, i) => first + i);
  const count = (bitmap: DayBitmap) => (bitmap === undefined ? 0 : popcount(bitmap));
  const funnelDays = Array.from({ length: SCALE_FUNNEL.periods }, (_, t) => LAST_DAY - (SCALE_FUNNEL.periods - 1) + t);
  const stepDays = { 'user:signed_up': signups, 'user:active': active, 'user:purchased': purchased };
  return {
    dates: shown.map((day) => new Date(day * DAY_MS).toISOString()),
    trends: [
      shown.map((day) => { const [lo, hi] = signupRange(product, day, day + 1); return hi - lo; }),
      shown.map((day) => count(active(day))),
      shown.map((day) => count(purchased(day))),
    ],
    active: modelActiveUsers(days, (u) => active(first - 29 + u), bits),
    lifecycle: modelLifecycle(days, (k) => active(first - 1 + k), bits),
    lifecycleCreated: modelLifecycle(days, (k) => active(first - 1 + k), bits, (k) => signups(first - 1 + k)),
    funnel: modelFunnel(SCALE_FUNNEL.steps.map((step) => funnelDays.map((day) => stepDays[step](day))), SCALE_FUNNEL.window, 'sequential'),
  };
}

/** One page through the target's dashboard, its answer checked. */
export async function measurePage(target: ScaleTarget, app: DashboardApp, page: ScalePage, product: ScaleProduct, runs: number, expected: ExpectedPages): Promise<PageMeasured> {
  const url = app.url(page.path, { ...page.params, now: product.now.toISOString(), format: 'json' });
  const result = await measure(target, runs, () => app.getJson(url));
  const what = `${target.name}: ${page.label}`;
  if (page.key === 'trends') assertTrend(what, result.last, expected.trends, expected.dates);
  else if (page.key === 'active') assertActiveUsers(what, result.last, expected.active, expected.dates);
  else assertLifecycle(what, result.last, expected[page.key], expected.dates);
  const checked = page.key === 'trends' ? 'every count' : page.key === 'active' ? 'DAU, WAU and MAU' : 'every figure';
  return { ...result, label: page.label, checked };
}

/** `getFunnel` of {@link SCALE_FUNNEL} in order, its counts and time to convert checked. */
export async function measureFunnel(target: ScaleTarget, product: ScaleProduct, runs: number, expected: FunnelModel): Promise<PageMeasured> {
  const { steps, periods, window } = SCALE_FUNNEL;
  const result = await measure(target, runs, () => target.engine.getFunnel(steps, { periods, window, now: product.now }));
  const { entries, timeToConvert } = result.last;
  assertSame(`${target.name}: funnel`, { entries: entries.map((entry) => entry.counts), timeToConvert }, expected);
  return { ...result, label: `funnel: ${steps.length} steps x ${periods} days, window ${window}`, checked: 'every count' };
}
