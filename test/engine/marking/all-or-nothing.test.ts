import { expect } from 'chai';
import { Bitmapist, BitmapistKeyTypeError } from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

/** What a promise settled with: 'ok' or its error. */
const outcome = (promise: Promise<unknown>) => promise.then(() => 'ok' as const, (error: unknown) => error);

describe('marks are written whole or not at all (a key of the wrong type)', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-01-31T10:00:00Z');
  const key = (event: string, suffix: string) => `${t.prefix}${event}_${suffix}`;

  it('refuses a lone mark whose day key is a hash, and sets none of its bits', async () => {
    await t.raw.hset(key('poisoned', '2025-1-31'), 'foreign', 'data');
    const error = await outcome(t.bm.markEvent('poisoned', 7, { now }));
    expect(error).to.be.instanceOf(BitmapistKeyTypeError);
    expect((error as BitmapistKeyTypeError).key).to.equal(key('poisoned', '2025-1-31'));
    expect((error as BitmapistKeyTypeError).type).to.equal('hash');
    expect(await t.raw.exists(key('poisoned', '2025-1'), key('poisoned', 'W2025-5'))).to.equal(0);
    expect(await t.raw.hgetall(key('poisoned', '2025-1-31'))).to.deep.equal({ foreign: 'data' });
  });

  it('settles each mark of one shared call exactly: healthy ones written, refused ones rejected, in one call', async () => {
    await t.raw.sadd(key('poisoned', 'W2025-5'), 'x');
    await t.bm.redis.ping();
    const marks = [
      ...[1, 2, 3].map((uid) => ({ event: 'healthy', uid })),
      ...[4, 5].map((uid) => ({ event: 'poisoned', uid })),
      { event: 'other', uid: 6 },
    ];
    const { result, names } = await countCommands(t.bm.redis, () =>
      Promise.all(marks.map(({ event, uid }) => outcome(t.bm.markEvent(event, uid, { now })))),
    );
    expect(names).to.deep.equal(['evalsha']);
    expect(result.map((r) => (r === 'ok' ? 'ok' : (r as Error).name))).to.deep.equal(
      ['ok', 'ok', 'ok', 'BitmapistKeyTypeError', 'BitmapistKeyTypeError', 'ok'],
    );
    expect((result[3] as BitmapistKeyTypeError).key).to.equal(key('poisoned', 'W2025-5'));
    expect((result[3] as BitmapistKeyTypeError).type).to.equal('set');
    expect(await t.bm.month('healthy', now).ids()).to.deep.equal([1, 2, 3]);
    expect(await t.bm.week('healthy', now).ids()).to.deep.equal([1, 2, 3]);
    expect(await t.bm.day('other', now).ids()).to.deep.equal([6]);
    expect(await t.raw.exists(key('poisoned', '2025-1'), key('poisoned', '2025-1-31'))).to.equal(0);
  });

  it('refuses an unmark whose keys include a list, and clears none of its bits', async () => {
    await t.bm.markEvent('e', 9, { now });
    await t.raw.unlink(key('e', '2025-1-31'));
    await t.raw.rpush(key('e', '2025-1-31'), 'x');
    expect(await outcome(t.bm.unmarkEvent('e', 9, { now }))).to.be.instanceOf(BitmapistKeyTypeError);
    expect(await t.raw.getbit(key('e', '2025-1'), 9)).to.equal(1);
    expect(await t.raw.getbit(key('e', 'W2025-5'), 9)).to.equal(1);
  });

  it('bulk import: writes the healthy marks and rejects with the refusal', async () => {
    await t.raw.set(key('poisoned', '2025-1'), 'a string is a bitmap');
    await t.raw.zadd(key('poisoned', '2025-1-31'), 1, 'x');
    const marks = [10, 11, 12].flatMap((uid) => [{ event: 'healthy', uid, now }, { event: 'poisoned', uid, now }]);
    expect(await outcome(t.bm.markEvents(marks))).to.be.instanceOf(BitmapistKeyTypeError);
    expect(await t.bm.day('healthy', now).ids()).to.deep.equal([10, 11, 12]);
    expect(await t.raw.get(key('poisoned', '2025-1'))).to.equal('a string is a bitmap');
    expect(await t.raw.exists(key('poisoned', 'W2025-5'))).to.equal(0);
  });

  it('sharded layout: a refused mark of one block leaves the other marks of its block written', async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8 });
    await t.raw.hset(`${t.prefix}{1}poisoned_2025-1-31`, 'f', 'v');
    const results = await Promise.all(
      [300, 301, 5].flatMap((uid) => [outcome(sharded.markEvent('poisoned', uid, { now })), outcome(sharded.markEvent('healthy', uid, { now }))]),
    );
    expect(results.map((r) => (r === 'ok' ? 'ok' : (r as Error).name))).to.deep.equal(
      ['BitmapistKeyTypeError', 'ok', 'BitmapistKeyTypeError', 'ok', 'ok', 'ok'],
    );
    expect(await sharded.week('healthy', now).ids()).to.deep.equal([5, 300, 301]);
    expect(await sharded.week('poisoned', now).ids()).to.deep.equal([5]);
    expect(await t.raw.exists(`${t.prefix}{1}poisoned_2025-1`, `${t.prefix}{1}poisoned_W2025-5`)).to.equal(0);
  });
});
