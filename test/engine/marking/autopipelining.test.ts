import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Bitmapist, trendCounts } from '../../../src/index.js';
import { countCommands, prng } from '../../support/model.js';
import { deleteUnder, testRedisUrl, uniquePrefix } from '../../support/redis.js';

const now = new Date('2025-02-20T12:00:00Z');
const ascending = (ids: Iterable<number>) => [...new Set(ids)].sort((a, b) => a - b);

for (const layout of ['compatible', 'sharded'] as const) {
  describe(`one server, a client with enableAutoPipelining (${layout} layout)`, () => {
    let plain: Redis;
    let auto: Redis;
    let prefix: string;
    /** The engine under test, on the auto-pipelining client. */
    let bm: Bitmapist;
    /** The same prefix on a client without auto-pipelining. */
    let reference: Bitmapist;

    beforeEach(async () => {
      prefix = uniquePrefix('apr');
      plain = new Redis(testRedisUrl());
      auto = new Redis(testRedisUrl(), { enableAutoPipelining: true });
      const options = { keyPrefix: prefix, layout, shardBits: 8 };
      bm = new Bitmapist({ redis: auto, ...options });
      reference = new Bitmapist({ redis: plain, ...options });
      await Promise.all([plain.ping(), auto.ping()]);
    });
    afterEach(async () => {
      await deleteUnder(plain, prefix);
      plain.disconnect();
      auto.disconnect();
    });

    it('writes single marks and unmarks', async () => {
      await bm.markEvent('single', 3, { now });
      await bm.markEvent('single', 700, { now });
      await bm.unmarkEvent('single', 3, { now });
      await bm.markUnique('single', 700);
      expect(await reference.day('single', now).ids()).to.deep.equal([700]);
      expect(await reference.unique('single').ids()).to.deep.equal([700]);
    });

    it("writes a tick's concurrent marks over ten blocks in one script call", async () => {
      const uids = Array.from({ length: 64 }, (_, i) => (i % 10) * 256 + i);
      const { names } = await countCommands(auto, () => Promise.all(uids.map((uid) => bm.markEvent('many', uid, { now }))));
      expect(names).to.deep.equal(['evalsha']);
      expect(await reference.day('many', now).ids()).to.deep.equal(ascending(uids));
    });

    it('imports with markEvents and reads like a client without auto-pipelining', async () => {
      const random = prng(5);
      const marks = Array.from({ length: 2000 }, () => ({
        event: ['signup', 'active', 'buy'][Math.floor(random() * 3)]!,
        uid: Math.floor(random() * 10 * 256),
        now: new Date(now.getTime() - Math.floor(random() * 20) * 86_400_000),
      }));
      expect(await bm.markEvents(marks)).to.equal(marks.length);
      const answers = async (engine: Bitmapist) => ({
        ids: await engine.month('active', now).ids(),
        algebra: await engine.month('signup', now).and(engine.month('buy', now).not()).count(),
        cohort: await engine.getCohort('signup', 'active', { numRows: 20, numCols: 10, now }),
        funnel: await engine.getFunnel(['signup', 'active', 'buy'], { periods: 20, window: 7, now }),
        trend: await trendCounts(engine, ['signup', 'active', 'buy'], { periods: 20, now }),
      });
      const expected = await answers(reference);
      expect(expected.ids).to.deep.equal(
        ascending(marks.filter((mark) => mark.event === 'active' && mark.now.getUTCMonth() === now.getUTCMonth()).map((mark) => mark.uid)),
      );
      expect(await answers(bm)).to.deep.equal(expected);
    });
  });
}

describe("our commands are left out of a client's auto-pipelines", () => {
  it("adds them to the client's autoPipeliningIgnoredCommands, keeping its own, and no other client's", async () => {
    const own = new Redis(testRedisUrl(), { lazyConnect: true, enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['hget'] });
    const other = new Redis(testRedisUrl(), { lazyConnect: true, enableAutoPipelining: true });
    try {
      new Bitmapist({ redis: own, keyPrefix: uniquePrefix('apo') });
      new Bitmapist({ redis: own, keyPrefix: uniquePrefix('apo') });
      const ignored = own.options.autoPipeliningIgnoredCommands!;
      expect(ignored[0]).to.equal('hget');
      expect(ignored).to.include.members(['bitmapistMark', 'bitmapistMarkMany', 'bitmapistEvaluate', 'bitmapistCohortRow', 'bitmapistRunProgram']);
      expect(new Set(ignored).size, 'each once, however many engines share the client').to.equal(ignored.length);
      // ioredis's default list is one array shared by every client: it must not have changed.
      expect(other.options.autoPipeliningIgnoredCommands).to.deep.equal([]);
    } finally {
      own.disconnect();
      other.disconnect();
    }
  });
});
