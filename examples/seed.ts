/**
 * Seeds Redis with a plausible product's history: users sign up over the last months, come back less and
 * less, read reviews, fill carts, buy, finish tracks, and a few delete their account. Like Flask-Bitmapist's
 * `scripts/seed.py`, for the dashboard to have something to show.
 *
 *   npx tsx examples/seed.ts        # REDIS_URL or BITMAPIST_REDIS_URL, default redis://localhost:6379
 */
import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import { Bitmapist, type BulkMark } from '../src/index.js';
import type { KoaBitmapist } from '../src/koa/index.js';
import { seededRandom } from '../src/testing/index.js';

/** Options of {@link seed}. */
export interface SeedOptions {
  /** How many users (ids 1..users, default 1,000). */
  users?: number;
  /** How many days back the first sign-up is (default 120, about four months); the history runs through today. */
  days?: number;
  /** The end of the history (default: now). */
  now?: Date;
  /** The random seed: the same seed gives the same data (default 42). */
  seed?: number;
  /** Show a progress bar on stderr (default false). */
  progress?: boolean;
  /** The plugin system to seed (default: the plugin's default). */
  system?: string;
}

/** What {@link seed} wrote. */
export interface SeedSummary {
  users: number;
  marks: number;
  /** Marks written per event name. */
  events: Record<string, number>;
  from: Date;
  to: Date;
  ms: number;
}

/** The kinds of events the seed writes. */
export const SEED_EVENTS = [
  'user:created',
  'user:signed_up',
  'user:signed_up_via_email',
  'user:signed_up_via_google',
  'user:signed_up_via_github',
  'user:logged_in',
  'user:logged_out',
  'user:updated',
  'user:product:read_reviews',
  'user:product:added_to_cart',
  'user:product:purchased',
  'user:completed_onboarding_track',
  'user:completed_advanced_track',
  'user:deleted',
] as const;

/**
 * The segments the seed marks as all-time unique bitmaps (`markUnique`): each user's plan, for the dashboard's
 * `segment=` and `breakdown=` (one user in five pays: `plan:pro`; the others are `plan:free`).
 */
export const SEED_SEGMENTS = ['plan:free', 'plan:pro'] as const;

const DAY_MS = 86_400_000;
const USERS_PER_WRITE = 50;

/** Writes the seed data through an engine or a plugin (directly, not through the plugin's queue). */
export async function seed(target: Bitmapist | KoaBitmapist, options: SeedOptions = {}): Promise<SeedSummary> {
  const { users = 1000, days = 120, now = new Date(), seed: seedValue = 42, progress = false } = options;
  const engine = target instanceof Bitmapist ? target : target.system(options.system);
  const random = seededRandom(seedValue);
  const started = Date.now();
  const events: Record<string, number> = {};
  const bar = progress
    ? new cliProgress.SingleBar({ format: 'seeding  {bar} {value}/{total} users  {marks} marks', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(users, 0, { marks: 0 });
  let marks = 0;
  let batch: BulkMark[] = [];
  let plans: Promise<void>[] = [];
  for (let uid = 1; uid <= users; uid += 1) {
    for (const mark of userHistory(uid, random, now, days)) {
      batch.push(mark);
      events[mark.event] = (events[mark.event] ?? 0) + 1;
    }
    const plan = random() < 0.2 ? 'plan:pro' : 'plan:free';
    events[plan] = (events[plan] ?? 0) + 1;
    plans.push(engine.markUnique(plan, uid));
    if (uid % USERS_PER_WRITE === 0 || uid === users) {
      marks += await engine.markEvents(batch);
      await Promise.all(plans);
      marks += plans.length;
      batch = [];
      plans = [];
      bar?.update(uid, { marks });
    }
  }
  bar?.stop();
  return { users, marks, events, from: new Date(now.getTime() - days * DAY_MS), to: now, ms: Date.now() - started };
}

/**
 * One user's marks: sign-up, then visits that thin out, each with some shopping. Day 0 is `days` days
 * before `now`, day `days` is the day of `now`; a mark falls in the hour before that day's clock time of
 * `now`, so none is later than `now`.
 */
function* userHistory(uid: number, random: () => number, now: Date, days: number): Generator<BulkMark> {
  const signup = Math.floor(random() * (days + 1));
  const at = (day: number) => new Date(now.getTime() - (days - day) * DAY_MS - Math.floor(random() * 3_600_000));
  const via = pick(random, ['email', 'email', 'google', 'google', 'github']);
  yield { event: 'user:created', uid, now: at(signup) };
  yield { event: 'user:signed_up', uid, now: at(signup) };
  yield { event: `user:signed_up_via_${via}`, uid, now: at(signup) };
  const eagerness = 0.25 + 0.55 * random();
  const patience = 5 + 40 * random();
  const deletesOn = random() < 0.06 ? signup + 1 + Math.floor(random() * (days - signup)) : Number.POSITIVE_INFINITY;
  let onboarded = false;
  let advanced = false;
  for (let day = signup; day <= days; day += 1) {
    const age = day - signup;
    if (day === deletesOn) {
      yield { event: 'user:deleted', uid, now: at(day) };
      return;
    }
    if (random() >= eagerness * Math.exp(-age / patience) + 0.04) continue;
    const when = at(day);
    yield { event: 'user:logged_in', uid, now: when };
    if (random() < 0.5) yield { event: 'user:product:read_reviews', uid, now: when };
    if (random() < 0.25) {
      yield { event: 'user:product:added_to_cart', uid, now: when };
      if (random() < 0.45) yield { event: 'user:product:purchased', uid, now: when };
    }
    if (random() < 0.06) yield { event: 'user:updated', uid, now: when };
    if (!onboarded && age < 7 && random() < 0.35) {
      onboarded = true;
      yield { event: 'user:completed_onboarding_track', uid, now: when };
    }
    if (!advanced && age >= 14 && random() < 0.08) {
      advanced = true;
      yield { event: 'user:completed_advanced_track', uid, now: when };
    }
    if (random() < 0.7) yield { event: 'user:logged_out', uid, now: when };
  }
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Prints a summary of a seed run. */
export function printSummary(summary: SeedSummary): void {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  console.log(`Seeded ${summary.marks} marks for ${summary.users} users, ${day(summary.from)} to ${day(summary.to)}, in ${summary.ms} ms:`);
  for (const [event, count] of Object.entries(summary.events).sort()) console.log(`  ${event.padEnd(34)} ${count}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const engine = new Bitmapist({ redis: process.env.REDIS_URL ?? process.env.BITMAPIST_REDIS_URL ?? 'redis://localhost:6379' });
  try {
    printSummary(await seed(engine, { progress: true }));
  } finally {
    await engine.close();
  }
}
