import { expect } from 'chai';
import { Bitmapist, BitmapistArgumentError, type BitmapistOptions, EventSet, MAX_EVENT_NAME_LENGTH, MAX_EXPRESSION_NODES, MAX_PERIOD_DELTA } from '../../src/index.js';
import { trendCounts } from '../../src/engine/insights/trends.js';
import { activeUsers } from '../../src/engine/insights/active-users.js';
import { periodCounts } from '../../src/engine/insights/period-counts.js';
import { runScript } from '../../src/engine/redis/scripts.js';
import { testBitmapist } from '../support/redis.js';

/** Awaits `fn` and returns the BitmapistArgumentError it throws or rejects with. */
async function refusal(fn: () => unknown): Promise<BitmapistArgumentError> {
  try {
    await fn();
  } catch (error) {
    expect(error).to.be.instanceOf(BitmapistArgumentError);
    return error as BitmapistArgumentError;
  }
  throw new Error('expected a BitmapistArgumentError');
}

describe('Bitmapist input validation', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-01-15T00:00:00Z');

  it('refuses bad user ids and writes nothing', async () => {
    for (const uid of [-1, 1.5, NaN, Infinity, 2 ** 32, 2 ** 53, '7', null, undefined, 10n]) {
      const error = await refusal(() => t.bm.markEvent('e', uid as number, { now }));
      expect(error.argument).to.equal('uid');
      await refusal(() => t.bm.unmarkEvent('e', uid as number, { now }));
      await refusal(() => t.bm.markUnique('e', uid as number));
    }
    const small = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, maxUserId: 100 });
    expect((await refusal(() => small.markEvent('e', 101, { now }))).message).to.match(/\[0, 100\]/);
    await refusal(() => t.bm.day('e', now).has(-1));
    expect(await t.keys()).to.deep.equal([]);
  });

  it('refuses a bad mark with a rejected promise, never a synchronous throw', async () => {
    const calls = [
      () => t.bm.markEvent('', 1, { now }),
      () => t.bm.unmarkEvent('e', -1, { now }),
      () => t.bm.markEvent('e', 1, null as never),
      () => t.bm.markEvent('e', 1, { now: new Date(Number.NaN) }),
    ];
    for (const call of calls) {
      let pending: Promise<void> | undefined;
      expect(() => (pending = call())).not.to.throw();
      expect(pending).to.be.instanceOf(Promise);
      await refusal(() => pending);
    }
    expect(await t.keys()).to.deep.equal([]);
  });

  it('writeMark, the mark queue\'s path, answers anything but a mark this instance prepared with a rejected promise, never a synchronous throw, and writes nothing', async () => {
    const lookAlike = { event: 'e', uid: 1, time: now.getTime(), hourly: false, pending: { keys: [`${t.prefix}planted`], uid: 1, block: 0 } };
    const otherInstance = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix }).prepareMark('e', 2, { now });
    for (const mark of [undefined, null, 7, {}, { pending: {} }, lookAlike, otherInstance]) {
      let pending: Promise<void> | undefined;
      expect(() => (pending = t.bm.writeMark(mark as never))).not.to.throw();
      expect(pending).to.be.instanceOf(Promise);
      const error = await refusal(() => pending!);
      expect(error.argument).to.equal('mark');
    }
    const prepared = t.bm.prepareMark('e', 1, { now });
    expect((await refusal(() => t.bm.writeMark(prepared, 2 as never))).argument).to.equal('bit');
    expect(await t.keys()).to.deep.equal([]);
    await t.bm.writeMark(prepared);
    expect(await t.keys()).to.have.length.greaterThan(0);
  });

  it('refuses empty, non-string and over-long event names and writes nothing', async () => {
    for (const event of ['', 7, null, undefined, {}, 'x'.repeat(MAX_EVENT_NAME_LENGTH + 1)]) {
      const error = await refusal(() => t.bm.markEvent(event as string, 1, { now }));
      expect(error.argument).to.equal('event');
      await refusal(() => t.bm.day(event as string, now));
      await refusal(() => t.bm.unique(event as string));
      await refusal(() => t.bm.getCohort(event as string, 'x', { now }));
      await refusal(() => t.bm.getCohort('x', event as string, { now }));
    }
    await t.bm.markEvent('x'.repeat(MAX_EVENT_NAME_LENGTH), 1, { now });
    expect(await t.keys()).to.have.length(3);
  });

  it('refuses event names that are not well-formed Unicode (lone surrogates), everywhere', async () => {
    await t.bm.markEvent('a\uFFFD', 1, { now });
    for (const event of ['a\uD800', 'a\uDC00', '\uD83Db', 'x\uDE00\uD83D']) {
      const error = await refusal(() => t.bm.markEvent(event, 2, { now }));
      expect(error.argument).to.equal('event');
      expect(error.message).to.contain('well-formed Unicode');
      await refusal(() => t.bm.unmarkEvent(event, 1, { now }));
      await refusal(() => t.bm.markUnique(event, 2));
      await refusal(() => t.bm.markEvents([{ event, uid: 2, now }]));
      await refusal(() => t.bm.day(event, now));
      await refusal(() => t.bm.unique(event));
      await refusal(() => t.bm.getEventData(event, { now }));
      await refusal(() => t.bm.chainEvents('a', [{ name: event, op: 'and' }], { now }));
      await refusal(() => t.bm.getCohort(event, 'a', { now }));
      await refusal(() => t.bm.getCohort('a', event, { now }));
      await refusal(() => t.bm.getEventNames({ prefix: event }));
    }
    expect(() => new Bitmapist({ redis: t.raw, keyPrefix: 'p\uD800' })).to.throw(BitmapistArgumentError, /keyPrefix/);
    await t.bm.markEvent('\uD83D\uDE00', 3, { now }); // a well-formed pair is fine
    expect(await t.bm.getEventNames()).to.deep.equal(['a\uFFFD', '\uD83D\uDE00']);
    expect(await t.raw.getbit(`${t.prefix}a\uFFFD_2025-1`, 2)).to.equal(0);
  });

  it('refuses invalid dates and unknown time groups', async () => {
    for (const date of [new Date('garbage'), '2025-01-01', 1735689600000]) {
      await refusal(() => t.bm.markEvent('e', 1, { now: date as Date }));
      await refusal(() => t.bm.day('e', date as Date));
      await refusal(() => t.bm.getCohort('e', 'e', { now: date as Date }));
    }
    for (const timeGroup of ['hours', 'fortnights', '', 5]) {
      const error = await refusal(() => t.bm.getCohort('e', 'e', { timeGroup: timeGroup as 'days', now }));
      expect(error.argument).to.equal('timeGroup');
      await refusal(() => t.bm.getEventData('e', { timeGroup: timeGroup as 'days' }));
      await refusal(() => t.bm.chainEvents('e', [], { timeGroup: timeGroup as 'days' }));
    }
    expect(await t.keys()).to.deep.equal([]);
  });

  it("takes a Date subclass by the instant it holds, never by its own getTime, and refuses an invalid one", async () => {
    class Shifted extends Date {
      override getTime(): number {
        return 0;
      }
    }
    await t.bm.markEvent('e', 1, { now: new Shifted(now.getTime()) });
    expect(await t.bm.day('e', now).ids()).to.deep.equal([1]);
    expect(await t.bm.day('e', new Shifted(now.getTime())).ids()).to.deep.equal([1]);
    expect((await refusal(() => t.bm.markEvent('e', 2, { now: new Shifted(Number.NaN) }))).argument).to.equal('now');
    expect((await refusal(() => t.bm.day('e', new Shifted(Number.NaN)))).argument).to.equal('date');
    expect(await t.keys()).to.have.length(3);
  });

  it('refuses an options argument that is not an object (null, a number, a string), naming it, before anything is read', async () => {
    for (const bad of [null, 5, 'days']) {
      const calls: (() => unknown)[] = [
        () => t.bm.getEventData('e', bad as never),
        () => t.bm.chainEvents('e', [], bad as never),
        () => t.bm.getCohort('e', 'e', bad as never),
        () => t.bm.getLifecycle('e', bad as never),
        () => t.bm.getFunnel(['e', 'e'], bad as never),
        () => t.bm.getEventNames(bad as never),
        () => t.bm.markEvent('e', 1, bad as never),
        () => trendCounts(t.bm, ['e'], bad as never),
        () => activeUsers(t.bm, 'e', bad as never),
      ];
      for (const call of calls) expect((await refusal(call)).argument).to.equal('options');
    }
    expect(await t.keys()).to.deep.equal([]);
  });

  it("names a bad date by its parameter: getEventData's and getCohort's now, day()'s date", async () => {
    const invalid = new Date(Number.NaN);
    expect((await refusal(() => t.bm.getEventData('e', { now: invalid }))).argument).to.equal('now');
    expect((await refusal(() => t.bm.getEventData('e', { timeGroup: 'months', now: new Date('0999-12-31T00:00:00Z') }))).argument).to.equal('now');
    expect((await refusal(() => t.bm.chainEvents('e', [], { now: invalid }))).argument).to.equal('now');
    expect((await refusal(() => t.bm.getCohort('e', 'e', { now: invalid }))).argument).to.equal('now');
    expect((await refusal(() => t.bm.day('e', invalid))).argument).to.equal('date');
  });

  it('checks every event name of periodCounts, also when no unit asks for a count', async () => {
    for (const units of [[], ['day']] as const) {
      expect((await refusal(() => periodCounts(t.bm, ['e', 'a\uD800'], units))).argument).to.equal('event');
      expect((await refusal(() => periodCounts(t.bm, ['bitop_AND_x'], units))).argument).to.equal('event');
    }
  });

  it('refuses the holes of sparse arrays, naming them, before anything is read or written', async () => {
    const mark = { event: 'e', uid: 1, now };
    // eslint-disable-next-line no-sparse-arrays
    expect((await refusal(() => t.bm.markEvents([mark, , mark] as never))).argument).to.equal('marks[1]');
    // eslint-disable-next-line no-sparse-arrays
    expect((await refusal(() => t.bm.getFunnel(['e', , 'e'] as never, { now }))).argument).to.equal('steps[1]');
    // eslint-disable-next-line no-sparse-arrays
    expect((await refusal(() => t.bm.getCohort('e', 'e', { additionalEvents: [, { name: 'e', op: 'or' }] as never, now }))).argument).to.equal('additionalEvents[0]');
    // eslint-disable-next-line no-sparse-arrays
    expect((await refusal(() => trendCounts(t.bm, ['e', , 'e'] as never, { now }))).argument).to.equal('event');
    // eslint-disable-next-line no-sparse-arrays
    expect((await refusal(() => periodCounts(t.bm, ['e', , 'e'] as never, ['day'], now))).argument).to.equal('event');
    // eslint-disable-next-line no-sparse-arrays
    expect((await refusal(() => periodCounts(t.bm, ['e'], ['day', , 'week'] as never, now))).argument).to.equal('units');
    expect(await t.keys()).to.deep.equal([]);
  });

  it('refuses an expression over MAX_EXPRESSION_NODES when it is built, and a delta over MAX_PERIOD_DELTA', async () => {
    const day = t.bm.day('e', now);
    expect(() => day.or(...Array.from({ length: MAX_EXPRESSION_NODES }, () => day))).to.throw(BitmapistArgumentError, /MAX_EXPRESSION_NODES/);
    let deep: EventSet = day;
    expect(() => {
      for (let i = 0; i < MAX_EXPRESSION_NODES; i++) deep = deep.or(day);
    }).to.throw(BitmapistArgumentError, new RegExp(`limit is ${MAX_EXPRESSION_NODES}`));
    // Just under the cap still evaluates (the chain left- and right-deep).
    let ok: EventSet = day;
    for (let i = 0; i < MAX_EXPRESSION_NODES / 2 - 1; i++) ok = i % 2 ? ok.or(day) : day.or(ok);
    expect(await ok.count()).to.equal(0);
    const many = Array.from({ length: MAX_EXPRESSION_NODES }, () => ({ name: 'e', op: 'or' as const }));
    expect((await refusal(() => t.bm.chainEvents('e', many, { now }).count())).argument).to.equal('events');
    // A segment of legal size that no insight can add its own sets to: refused for its size, naming `segment`.
    let segment: EventSet = day;
    while (true) {
      try {
        segment = segment.or(day);
      } catch {
        break;
      }
    }
    const big = await refusal(() => t.bm.getFunnel(['e', 'e'], { now, segment }));
    expect([big.argument, big.message]).to.satisfy(([argument, message]: [string, string]) => argument === 'segment' && message.includes('MAX_EXPRESSION_NODES'));
    expect(() => day.delta(MAX_PERIOD_DELTA + 1)).to.throw(BitmapistArgumentError, /MAX|10000/);
    expect(() => day.delta(1e15)).to.throw(BitmapistArgumentError);
    expect(day.delta(-MAX_PERIOD_DELTA).periodStart.getTime()).to.be.below(now.getTime());
    expect(await t.keys()).to.deep.equal([]);
  });

  it('refuses cohort sizes outside 1..366 and contradictory modes', async () => {
    for (const [numRows, numCols] of [[0, 5], [5, 0], [367, 5], [5, 367], [1.5, 5], [NaN, 5], ['5', 5]]) {
      const error = await refusal(() => t.bm.getCohort('e', 'e', { numRows: numRows as number, numCols: numCols as number, now }));
      expect(error.argument).to.match(/^num(Rows|Cols)$/);
    }
    await refusal(() => t.bm.getCohort('e', 'e', { mode: 'sometimes' as 'first', now }));
    await refusal(() => t.bm.getCohort('e', 'e', { mode: 'first', withReplacement: true, now }));
    await refusal(() => t.bm.getCohort('e', 'e', { withReplacement: 'yes' as unknown as boolean, now }));
    await refusal(() => t.bm.getCohort('e', 'e', { additionalEvents: [{ name: 'x', op: 'nand' as 'and' }], now }));
    const ok = await t.bm.getCohort('e', 'e', { numRows: 366, numCols: 1, now });
    expect(ok.cohort).to.have.length(366);
  });

  it('refuses bad options to the constructor', async () => {
    expect(() => new Bitmapist({ redis: t.raw, maxUserId: 2 ** 32 })).to.throw(BitmapistArgumentError, /maxUserId/);
    expect(() => new Bitmapist({ redis: t.raw, maxUserId: -1 })).to.throw(BitmapistArgumentError);
    expect(() => new Bitmapist({ redis: t.raw, trackHourly: 'yes' as unknown as boolean })).to.throw(BitmapistArgumentError);
    expect(() => new Bitmapist({ redis: 42 as unknown as string })).to.throw(BitmapistArgumentError, /redis/);
    // Options that are not an object (a URL passed alone, an array, null) name `options`; before, most were
    // ignored and the engine connected to the default server.
    for (const options of [5, true, [], 'redis://127.0.0.1:1/0', null]) {
      const refused = (() => {
        try {
          return new Bitmapist(options as unknown as BitmapistOptions);
        } catch (error) {
          return error;
        }
      })();
      expect(refused, String(options)).to.be.instanceOf(BitmapistArgumentError);
      expect((refused as BitmapistArgumentError).argument).to.equal('options');
    }
    // A misspelled option is named, not silently ignored (timeZone gave UTC).
    expect(() => new Bitmapist({ redis: t.raw, timeZone: 'Europe/Berlin' } as BitmapistOptions)).to.throw(
      BitmapistArgumentError,
      'timeZone: is not an option of Bitmapist (did you mean timezone?)',
    );
    expect(() => new Bitmapist({ redis: t.raw, redisUrl: 'redis://x' } as BitmapistOptions)).to.throw(BitmapistArgumentError, 'redisUrl: is not an option of Bitmapist');
    expect(() => new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, timezone: undefined }).close()).not.to.throw();
    const arrayOptions = await t.bm.markEvent('e', 1, [] as unknown as object).then(() => undefined, (e: unknown) => e);
    expect((arrayOptions as Error).message).to.equal('options: must be an object, got an array');
    // As every other option: before the fix a BitmapistConfigError with no `argument`.
    // In either layout: the compatible one has no blocks, but a bad value is still a mistake to name.
    const layouts = ['sharded', 'compatible'] as const;
    for (const [shardBits, layout] of [7, 33, 8.5, '20' as unknown as number].flatMap((bits) => layouts.map((l) => [bits, l] as const))) {
      const refused = (() => {
        try {
          return new Bitmapist({ redis: t.raw, layout, shardBits });
        } catch (error) {
          return error;
        }
      })();
      expect(refused).to.be.instanceOf(BitmapistArgumentError);
      expect((refused as BitmapistArgumentError).argument).to.equal('shardBits');
    }
  });

  it('has the Lua scripts refuse malformed calls before their first write', async () => {
    const key = `${t.prefix}e_2025-1`;
    const script = (call: Promise<unknown>) => refusal(() => runScript(call));
    await script(t.bm.redis.bitmapistMark(1, key, -1, 1, 100));
    await script(t.bm.redis.bitmapistMark(1, key, 101, 1, 100));
    await script(t.bm.redis.bitmapistMark(1, key, 1, 2, 100));
    // The second group of the batch holds a bad id: the first group must not be written either.
    const other = `${t.prefix}e_2025-2`;
    await script(t.bm.redis.bitmapistMarkMany(2, key, other, 1, 100, 2, '1', '5,6', '2', '7,500'));
    await script(t.bm.redis.bitmapistMarkMany(2, key, other, 1, 100, 2, '1', '5,6', '3', '7'));
    await script(t.bm.redis.bitmapistMarkMany(1, key, 1, 100, 1, '1', '5,-1'));
    await script(t.bm.redis.bitmapistMarkMany(1, key, 1, 100, 2, '1', '5'));
    await script(t.bm.redis.bitmapistEvaluate(1, key, 1, 'count', 0, 1000, -1, 'k2'));
    await script(t.bm.redis.bitmapistEvaluate(2, key, `${t.prefix}~s`, 1, 'count', 0, 1000, -1, 'k1', '&2'));
    await script(t.bm.redis.bitmapistEvaluate(2, key, `${t.prefix}~s`, 1, 'count', 0, 1000, -1, 'k1', 'k1'));
    await script(t.bm.redis.bitmapistCohortRow(5, key, `${t.prefix}~1`, `${t.prefix}~2`, `${t.prefix}~3`, `${t.prefix}~4`, 'first', 1000, 1, 1, 1, 1, 1));
    expect(await t.keys()).to.deep.equal([]);
  });
});
