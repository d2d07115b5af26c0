import { expect } from 'chai';
import {
  activeUsers,
  Bitmapist,
  BitmapistArgumentError,
  BitmapistOfflineError,
  periodCounts,
  trendCounts,
} from '../../../src/index.js';
import { startRedisServer } from '../../../src/testing/index.js';
import { killAndRecordSent } from '../support/offline.js';

const failureOf = (call: () => Promise<unknown>) => call().then(() => undefined, (error: unknown) => error);

describe('reads while Redis is unreachable', function () {
  this.timeout(30_000);

  for (const layout of ['compatible', 'sharded'] as const) {
    for (const userIds of ['integers', 'mapped'] as const) {
      it(`every read rejects at once with a BitmapistOfflineError and sends nothing; bad arguments are still refused as such (${layout} layout, ${userIds} ids)`, async () => {
        const redis = await startRedisServer();
        const bm = new Bitmapist({ redis: redis.url, keyPrefix: 'bmtest_offread_', layout, userIds } as { redis: string; userIds: 'integers' });
        const now = new Date('2025-02-20T12:00:00Z');
        // With mapped ids, 1 is this process's (cached) and 2 another's (looked up in Redis).
        const [mine, theirs] = userIds === 'mapped' ? ['1', '2'] as unknown as number[] : [1, 2];
        try {
          await bm.markEvent('e', mine!, { now });
          const sent = await killAndRecordSent(bm as never, redis);
          const reads: [string, () => Promise<unknown>][] = [
            ['count', () => bm.day('e', now).count()],
            ['has (cached id)', () => bm.day('e', now).has(mine!)],
            ['has (id not cached)', () => bm.day('e', now).has(theirs!)],
            ['ids', () => bm.day('e', now).ids()],
            ['hasEvent', () => bm.hasEvent('e', [now])],
            ['getEventNames', () => bm.getEventNames()],
            ['getCohort', () => bm.getCohort('e', 'e', { now, numRows: 3, numCols: 3 })],
            ['getFunnel', () => bm.getFunnel(['e', 'e'], { now, periods: 3 })],
            ['getLifecycle', () => bm.getLifecycle('e', { now, periods: 3 })],
            ['activeUsers', () => activeUsers(bm, 'e', { now, days: 3 })],
            ['trendCounts', () => trendCounts(bm, ['e'], { now, periods: 3 })],
            ['periodCounts', () => periodCounts(bm, ['e'], ['day', 'year'], now)],
          ];
          if (bm.idMap) reads.push(['idMap.lookup (id not cached)', () => bm.idMap!.lookup('2')]);
          for (const [name, read] of reads) {
            expect(await failureOf(read), name).to.be.instanceOf(BitmapistOfflineError);
            expect(sent, name).to.deep.equal([]);
          }
          // Arguments are checked first: a bad one is still a BitmapistArgumentError.
          for (const [name, read] of [
            ['getEventNames', () => bm.getEventNames({ prefix: 5 as never })],
            ['hasEvent', () => bm.hasEvent('', [now])],
            ['getFunnel', () => bm.getFunnel(['e'], { now })],
          ] as const) {
            expect(await failureOf(read), name).to.be.instanceOf(BitmapistArgumentError);
          }
          expect(sent).to.deep.equal([]);
        } finally {
          await bm.close();
          await redis.stop();
        }
      });
    }
  }
});
