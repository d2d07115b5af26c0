import { expect } from 'chai';
import fc from 'fast-check';
import { Bitmapist, BitmapistArgumentError } from '../../src/index.js';
import { MarkModel, sorted, startOf } from '../support/model.js';
import { keysUnder, testBitmapist } from '../support/redis.js';

/** Event names a hostile client might send: unicode, braces, underscores, colons, spaces, 10 KB strings. */
const hostileEvent = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('{', '}', '_', ':', ' ', '*', '?', '[', '\\', 'a', 'é', '\u0000', '😀'), maxLength: 30 }),
  fc.constant('x'.repeat(10_240)),
  fc.constantFrom('', 'user:logged_in', '{0}', 'a_2025-1', '~tmp~', 'a\uD800', '\uDC00b', 'a\uFFFD', '\uD83D\uDE00'),
  fc.anything().filter((v) => typeof v !== 'string'),
);

/** User ids a hostile client might send. */
const hostileUid = fc.oneof(
  fc.integer({ min: -10, max: 5000 }),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -0, 2 ** 24 - 1, 2 ** 24, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), Number.MAX_VALUE),
  fc.string({ maxLength: 5 }),
  fc.bigInt(),
  fc.constant(undefined),
);

const hostileDate = fc.oneof(fc.date({ noInvalidDate: false }), fc.constant(new Date(8.64e15)), fc.string({ maxLength: 10 }));

describe('hostile input to the engine (property-based)', function () {
  this.timeout(60_000);

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`${layout}: marks either succeed or throw BitmapistArgumentError, and never write outside the prefix`, async () => {
      const t = testBitmapist();
      const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 10 });
      try {
        await fc.assert(
          fc.asyncProperty(hostileEvent, hostileUid, hostileDate, async (event, uid, now) => {
            const outcome = await bm.markEvent(event as string, uid as number, { now: now as Date }).then(
              () => 'ok',
              (error: unknown) => error,
            );
            if (outcome !== 'ok') expect(outcome).to.be.instanceOf(BitmapistArgumentError);
            const validUid = typeof uid === 'number' && Number.isSafeInteger(uid) && uid >= 0 && uid <= bm.maxUserId;
            const validEvent = typeof event === 'string' && event.length > 0 && event.length <= 512 && !/\p{Cs}/u.test(event);
            const validDate = now instanceof Date && !Number.isNaN(now.getTime()) && now.getUTCFullYear() >= 1000 && now.getUTCFullYear() <= 9999;
            expect(outcome === 'ok', fc.stringify({ event, uid, now }).slice(0, 200))
              .to.equal(validUid && validEvent && validDate);
          }),
          { numRuns: 300 },
        );
        const foreign = (await keysUnder(t.raw, 'bmtest_')).filter((key) => !key.startsWith(t.prefix));
        expect(foreign).to.deep.equal([]);
        for (const name of await bm.getEventNames()) expect(name.length).to.be.within(1, 512);
      } finally {
        await t.cleanup();
      }
    });

    it(`${layout}: valid random marks answer like an in-memory model`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              event: fc.constantFrom('a', 'b{1}', 'c_d'),
              uid: fc.integer({ min: 0, max: 3000 }),
              now: fc.date({ min: new Date('2024-12-20T00:00:00Z'), max: new Date('2025-01-10T00:00:00Z'), noInvalidDate: true }),
            }),
            { maxLength: 60 },
          ),
          async (marks) => {
            const t = testBitmapist();
            const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 10 });
            const model = new MarkModel();
            try {
              await bm.markEvents(marks);
              for (const { event, uid, now } of marks) model.add(event, uid, now);
              const probe = new Date('2025-01-01T00:00:00Z');
              for (const event of ['a', 'b{1}', 'c_d']) {
                for (const unit of ['day', 'week', 'month', 'year'] as const) {
                  const set = bm[unit](event, probe);
                  expect(await set.ids()).to.deep.equal(sorted(model.users(event, unit, startOf(unit, probe))));
                }
              }
            } finally {
              await t.cleanup();
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});
