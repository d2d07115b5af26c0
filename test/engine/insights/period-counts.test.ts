import { expect } from 'chai';
import { BitmapistArgumentError, periodCounts, PERIOD_COUNT_LIMITS } from '../../../src/index.js';
import { MarkModel, prng, startOf } from '../../support/model.js';
import { programCalls } from '../../support/programs.js';
import { keysUnder, testBitmapist } from '../../support/redis.js';

const NOW = new Date('2025-03-15T18:00:00Z');
const UNITS = ['day', 'week', 'month', 'year'] as const;

describe('engine: periodCounts', function () {
  this.timeout(60_000);

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`counts every event in the day, week, month and year containing now, as the model does (${layout})`, async () => {
      const t = testBitmapist(layout === 'sharded' ? { layout, shardBits: 8 } : {});
      try {
        const model = new MarkModel();
        const random = prng(layout.length);
        const events = Array.from({ length: PERIOD_COUNT_LIMITS.eventsPerProgram * 2 + 3 }, (_, e) => `event:${e}`);
        const marks = Array.from({ length: 4000 }, () => {
          const event = events[Math.floor(random() * events.length)]!;
          const uid = Math.floor(random() * 1200);
          const at = new Date(NOW.getTime() - Math.floor(random() * 400 * 86_400_000));
          model.add(event, uid, at);
          return { event, uid, now: at };
        });
        await t.bm.markEvents(marks);
        const before = (await keysUnder(t.raw, t.prefix)).sort();
        const asked = [...events, 'never:marked'];
        const { result, programs } = await programCalls(t.bm.redis, () => periodCounts(t.bm, asked, UNITS, NOW));
        expect(result).to.deep.equal(asked.map((event) => UNITS.map((unit) => model.users(event, unit, startOf(unit, NOW)).size)));
        expect(result.flat().filter((n) => n > 0).length).to.be.above(events.length * 2);
        // One program per group of events and per block in use.
        const blocks = layout === 'sharded' ? new Set(marks.map((mark) => mark.uid >> 8)).size : 1;
        expect(programs).to.equal(Math.ceil(asked.length / PERIOD_COUNT_LIMITS.eventsPerProgram) * blocks);
        expect((await keysUnder(t.raw, t.prefix)).sort()).to.deep.equal(before);
        // Fewer units, and none: the same counts where asked.
        expect(await periodCounts(t.bm, asked, ['year', 'day'], NOW)).to.deep.equal(result.map((row) => [row[3], row[0]]));
        expect(await periodCounts(t.bm, asked, [], NOW)).to.deep.equal(asked.map(() => []));
        expect(await periodCounts(t.bm, [], UNITS, NOW)).to.deep.equal([]);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('refuses bad arguments naming them, before any call', async () => {
    const t = testBitmapist();
    try {
      const refused = async (fn: () => Promise<unknown>, argument: string) => {
        const { result: error, programs } = await programCalls(t.bm.redis, () => fn().catch((e: unknown) => e));
        expect(error, argument).to.be.instanceOf(BitmapistArgumentError);
        expect((error as BitmapistArgumentError).argument).to.equal(argument);
        expect(programs).to.equal(0);
      };
      const tooMany = Array.from({ length: PERIOD_COUNT_LIMITS.maxEvents + 1 }, (_, i) => `e${i}`);
      await refused(() => periodCounts(t.bm, tooMany, UNITS, NOW), 'events');
      await refused(() => periodCounts(t.bm, 'a' as never, UNITS, NOW), 'events');
      await refused(() => periodCounts(t.bm, ['a'], ['hour' as never], NOW), 'units');
      await refused(() => periodCounts(t.bm, ['a', ''], UNITS, NOW), 'event');
    } finally {
      await t.cleanup();
    }
  });
});
