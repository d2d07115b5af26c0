import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { Bitmapist, BitmapistArgumentError, type BitmapistOptions, type UserMark } from '../../../src/index.js';
import { periodStart } from '../../../src/engine/time/periods.js';
import { periodSuffix } from '../../../src/engine/time/suffixes.js';
import { seededRandom } from '../../../src/testing/index.js';
import { keysUnder, testBitmapist, testClusterNodes, uniquePrefix } from '../../support/redis.js';
import { testApp } from '../../koa/support.js';

const START = Date.UTC(2024, 11, 20);
const DAY_MS = 86_400_000;

interface Written {
  event: string;
  uid: number | string;
  now: Date;
  hourly: boolean;
}

/** Random marks of a few users over 40 days, some hourly, and unique marks of `plan:pro`. */
function randomMarks(seed: number, users: (number | string)[]): { marks: Written[]; unique: (number | string)[] } {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const marks = Array.from({ length: 300 }, () => ({
    event: pick(['login', 'buy', 'user:signed_up']),
    uid: pick(users),
    now: new Date(START + Math.floor(random() * 40 * DAY_MS)),
    hourly: random() < 0.2,
  }));
  return { marks, unique: users.filter(() => random() < 0.5) };
}

/** What exportUser must answer for `uid`: every period bitmap its marks set, and its unique bitmaps. */
function expectedMarks(written: Written[], unique: (number | string)[], uid: number | string, timeZone: Bitmapist['timeZone']): UserMark[] {
  const found = new Map<string, UserMark>();
  const add = (event: string, granularity: UserMark['granularity'], date?: Date) => {
    if (granularity === 'unique') return found.set(`${event} u`, { event, granularity, period: 'u' });
    const period = periodSuffix(granularity, date!, timeZone);
    found.set(`${event} ${period}`, { event, granularity, period, start: periodStart(granularity, date!, timeZone) });
  };
  for (const { event, uid: who, now, hourly } of written) {
    if (who !== uid) continue;
    for (const unit of ['month', 'week', 'day'] as const) add(event, unit, now);
    if (hourly) add(event, 'hour', now);
  }
  if (unique.includes(uid)) add('plan:pro', 'unique');
  const order = { unique: 0, month: 1, week: 2, day: 3, hour: 4 };
  return [...found.values()].sort(
    (a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : 0) || order[a.granularity] - order[b.granularity] || (a.start?.getTime() ?? 0) - (b.start?.getTime() ?? 0),
  );
}

async function checkExport(bm: Bitmapist<'integers'> | Bitmapist<'mapped'>, users: (number | string)[], seed: number, keys: () => Promise<string[]>) {
  const engine = bm as Bitmapist<'mapped'>;
  const { marks, unique } = randomMarks(seed, users);
  for (const mark of marks) await engine.markEvent(mark.event, mark.uid, { now: mark.now, trackHourly: mark.hourly });
  for (const uid of unique) await engine.markUnique('plan:pro', uid);
  const before = await keys();
  for (const uid of users) {
    expect(await engine.exportUser(uid), `user ${uid}`).to.deep.equal(expectedMarks(marks, unique, uid, bm.timeZone));
  }
  // Read only: the same keys (none added, none grown).
  expect(await keys()).to.deep.equal(before);
}

describe('exportUser: what the prefix holds about a user (right of access)', function () {
  this.timeout(60_000);
  const layouts: [string, BitmapistOptions][] = [
    ['compatible', {}],
    ['sharded', { layout: 'sharded', shardBits: 8 }],
    ['compatible, Europe/Berlin', { timezone: 'Europe/Berlin' }],
  ];
  for (const [name, options] of layouts) {
    it(`lists every bitmap holding the user, as the marks written say, with integer ids (${name})`, async () => {
      const t = testBitmapist(options);
      try {
        await checkExport(t.bm, [3, 300, 301, 1000], 11, t.keys);
        expect(await t.bm.exportUser(77)).to.deep.equal([]);
      } finally {
        await t.cleanup();
      }
    });

    it(`lists every bitmap holding the user, with mapped ids (${name})`, async () => {
      const t = testBitmapist({ ...options, userIds: 'mapped' } as unknown as BitmapistOptions);
      try {
        await checkExport(t.bm, ['3f2b6c1e-8a4d-4f7e-9b21-0c5d6e7f8a90', 'alice@example.com', '42'], 12, t.keys);
        expect(await (t.bm as unknown as Bitmapist<'mapped'>).exportUser('never-seen')).to.deep.equal([]);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('lists a user of the sharded layout on the Redis Cluster', async () => {
    const cluster = new Cluster(testClusterNodes());
    const prefix = uniquePrefix('export');
    const bm = new Bitmapist({ redis: cluster, keyPrefix: prefix, layout: 'sharded', shardBits: 8 });
    try {
      const { marks, unique } = randomMarks(13, [5, 700, 70_000]);
      for (const mark of marks) await bm.markEvent(mark.event, mark.uid as number, { now: mark.now, trackHourly: mark.hourly });
      for (const uid of unique) await bm.markUnique('plan:pro', uid as number);
      for (const uid of [5, 700, 70_000]) expect(await bm.exportUser(uid)).to.deep.equal(expectedMarks(marks, unique, uid, bm.timeZone));
    } finally {
      await bm.deleteAllEvents();
      await bm.close();
      cluster.disconnect();
    }
  });

  it('refuses a bad id before reading anything', async () => {
    const t = testBitmapist();
    try {
      for (const uid of [-1, 1.5, '7', 2 ** 40]) {
        const error = await t.bm.exportUser(uid as number).then(() => undefined, (e: unknown) => e);
        expect(error).to.be.instanceOf(BitmapistArgumentError);
        expect((error as BitmapistArgumentError).argument).to.equal('uid');
      }
    } finally {
      await t.cleanup();
    }
  });

  it("the plugin's exportUser writes the marks still queued first, and takes the app's ids", async () => {
    const t = testApp({ disableRouter: true });
    try {
      const now = new Date('2025-01-31T10:00:00Z');
      t.bitmapist.markEvent('login', '42', { now });
      expect(await t.bitmapist.exportUser(42n)).to.deep.equal(
        ['month', 'week', 'day'].map((granularity) => ({
          event: 'login',
          granularity,
          period: periodSuffix(granularity as 'day', now),
          start: periodStart(granularity as 'day', now),
        })),
      );
      expect(await keysUnder(t.raw, t.prefix)).to.have.length(3);
    } finally {
      await t.cleanup();
    }
  });
});
