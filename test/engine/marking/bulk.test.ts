import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Bitmapist, BitmapistArgumentError, MARK_BATCH_SIZE, type BulkMark } from '../../../src/index.js';
import { runScript } from '../../../src/engine/redis/scripts.js';
import { prng } from '../../support/model.js';
import { keysUnder, testBitmapist } from '../../support/redis.js';

type TestBitmapist = ReturnType<typeof testBitmapist>;

const EVENTS = ['user:signed_up', 'user:active', 'buy_now'];
const START = Date.parse('2024-12-20T00:00:00Z');

/** `count` seeded marks over 25 days across the 2024/2025 year and ISO week boundary, duplicates included. */
function makeMarks(count: number, seed = count): BulkMark[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => ({
    event: EVENTS[Math.floor(random() * EVENTS.length)]!,
    uid: i % 97 === 0 ? 0 : i % 89 === 0 ? 250_000 : Math.floor(random() * 5000),
    now: new Date(START + Math.floor(random() * 25 * 86_400_000)),
  }));
}

/** Every bitmap under a prefix: key (without the prefix) to bytes. */
async function bitmaps(raw: Redis, prefix: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const key of await keysUnder(raw, prefix)) {
    result.set(key.slice(prefix.length), ((await raw.getBuffer(key)) ?? Buffer.alloc(0)).toString('hex'));
  }
  return result;
}

/** What marking `marks` one by one with `markEvent` stores, in a fresh prefix. */
async function markedOneByOne(marks: BulkMark[], options: ConstructorParameters<typeof Bitmapist>[0] = {}) {
  const t = testBitmapist(options);
  try {
    for (const { event, uid, now } of marks) await t.bm.markEvent(event, uid, { now });
    return await bitmaps(t.raw, t.prefix);
  } finally {
    await t.cleanup();
  }
}

/** Records the number of marks of every mark script call the engine makes. */
function spyOnBatches(bm: Bitmapist): number[] {
  const sizes: number[] = [];
  const redis = bm.redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  const single = redis.bitmapistMark!;
  const many = redis.bitmapistMarkMany!;
  redis.bitmapistMark = (...args) => {
    sizes.push(1);
    return single.apply(bm.redis, args);
  };
  redis.bitmapistMarkMany = (...args) => {
    // numKeys, keys..., bit, maxUid, groups, then per group: key indexes, comma-separated uids
    const numKeys = Number(args[0]);
    const groups = Number(args[numKeys + 3]);
    let marks = 0;
    for (let g = 0; g < groups; g += 1) marks += String(args[numKeys + 5 + 2 * g]).split(',').length;
    sizes.push(marks);
    return many.apply(bm.redis, args);
  };
  return sizes;
}

async function* asyncMarks(marks: BulkMark[]): AsyncGenerator<BulkMark> {
  for (const mark of marks) {
    if (Math.random() < 0.01) await new Promise((resolve) => setTimeout(resolve, 1));
    yield mark;
  }
}

function* syncMarks(marks: BulkMark[]): Generator<BulkMark> {
  yield* marks;
}

async function expectRefusal(promise: Promise<unknown>, argument?: string | RegExp): Promise<BitmapistArgumentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(BitmapistArgumentError);
    const refusal = error as BitmapistArgumentError;
    if (typeof argument === 'string') expect(refusal.argument).to.equal(argument);
    else if (argument) expect(refusal.argument).to.match(argument);
    return refusal;
  }
  expect.fail('expected a BitmapistArgumentError');
}

describe('Bitmapist.markEvents (bulk import)', () => {
  let t: TestBitmapist;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  it('batches at most MARK_BATCH_SIZE (500) marks per script call', () => {
    expect(MARK_BATCH_SIZE).to.equal(500);
  });

  for (const count of [1, 2, 499, 500, 501, 1000, 1001]) {
    const expectedBatches = Array.from({ length: Math.ceil(count / MARK_BATCH_SIZE) }, (_, i) =>
      Math.min(MARK_BATCH_SIZE, count - i * MARK_BATCH_SIZE),
    );

    it(`writes ${count} marks from an array in batches of ${expectedBatches.join(' + ')}, exactly as markEvent would`, async () => {
      const marks = makeMarks(count);
      const batches = spyOnBatches(t.bm);
      expect(await t.bm.markEvents(marks)).to.equal(count);
      expect(batches).to.deep.equal(expectedBatches);
      expect(await bitmaps(t.raw, t.prefix)).to.deep.equal(await markedOneByOne(marks));
    });
  }

  for (const count of [499, 500, 501, 1001]) {
    it(`writes ${count} marks from a sync iterable and from an async iterable, exactly as markEvent would`, async () => {
      const marks = makeMarks(count, count + 7);
      const expected = await markedOneByOne(marks);
      const batches = spyOnBatches(t.bm);
      expect(await t.bm.markEvents(syncMarks(marks))).to.equal(count);
      expect(await bitmaps(t.raw, t.prefix)).to.deep.equal(expected);
      expect(batches.every((size) => size <= MARK_BATCH_SIZE)).to.equal(true);
      expect(batches.reduce((sum, size) => sum + size, 0)).to.equal(count);

      const other = testBitmapist();
      try {
        expect(await other.bm.markEvents(asyncMarks(marks))).to.equal(count);
        expect(await bitmaps(other.raw, other.prefix)).to.deep.equal(expected);
      } finally {
        await other.cleanup();
      }
    });
  }

  it('accepts any iterable (a Set) and marks without `now` as now', async () => {
    const before = Date.now();
    expect(await t.bm.markEvents(new Set([{ event: 'e', uid: 3 }, { event: 'e', uid: 4 }]))).to.equal(2);
    const today = t.bm.day('e', new Date(before));
    const ids = await today.ids();
    // Unless the day turned in between, both marks landed on today.
    if (new Date().getUTCDate() === new Date(before).getUTCDate()) expect(ids).to.deep.equal([3, 4]);
  });

  it('writes nothing and answers 0 for no marks', async () => {
    const batches = spyOnBatches(t.bm);
    expect(await t.bm.markEvents([])).to.equal(0);
    expect(await t.bm.markEvents(syncMarks([]))).to.equal(0);
    expect(await t.bm.markEvents(asyncMarks([]))).to.equal(0);
    expect(batches).to.deep.equal([]);
    expect(await t.keys()).to.deep.equal([]);
  });

  it('follows the instance defaults (hourly and unique bitmaps) like markEvent', async () => {
    const options = { trackHourly: true, trackUnique: true };
    const tracked = testBitmapist(options);
    try {
      const marks = makeMarks(700, 3);
      expect(await tracked.bm.markEvents(marks)).to.equal(700);
      const stored = await bitmaps(tracked.raw, tracked.prefix);
      expect([...stored.keys()].some((key) => /_\d+-\d+-\d+-\d+$/.test(key))).to.equal(true);
      expect([...stored.keys()].some((key) => key.endsWith('_u'))).to.equal(true);
      expect(stored).to.deep.equal(await markedOneByOne(marks, options));
    } finally {
      await tracked.cleanup();
    }
  });

  it('handles many events and periods in one batch (one bitmap list per event and day)', async () => {
    const random = prng(11);
    const marks = Array.from({ length: 500 }, (_, i) => ({
      event: `event_${i % 37}`,
      uid: Math.floor(random() * 100_000),
      now: new Date(START + Math.floor(random() * 400) * 86_400_000),
    }));
    const batches = spyOnBatches(t.bm);
    expect(await t.bm.markEvents(marks)).to.equal(500);
    expect(batches).to.deep.equal([500]);
    expect(await bitmaps(t.raw, t.prefix)).to.deep.equal(await markedOneByOne(marks));
  });

  it('leaves no key but event bitmaps behind (no scratch keys)', async () => {
    await t.bm.markEvents(makeMarks(1200, 5));
    await t.bm.markEvents(asyncMarks(makeMarks(600, 6)));
    const keys = await t.keys();
    expect(keys.length).to.be.greaterThan(0);
    for (const key of keys) {
      expect(t.bm.keys.eventOf(key), key).to.be.a('string');
      expect(t.bm.keys.isScratchKey(key), key).to.equal(false);
    }
  });

  describe('validation', () => {
    it('refuses what is not an iterable of marks', async () => {
      for (const marks of [null, undefined, 42, 'abc', {}, { length: 1, 0: { event: 'e', uid: 1 } }]) {
        await expectRefusal(t.bm.markEvents(marks as unknown as BulkMark[]), 'marks');
      }
      expect(await t.keys()).to.deep.equal([]);
    });

    const now = new Date('2025-01-15T12:00:00Z');
    // The refused element is named by its path (before the fix a bad field was named alone: `uid`, not which).
    const badMarks: [string, unknown, string][] = [
      ['null', null, 'marks[700]'],
      ['a number', 7, 'marks[700]'],
      ['an empty event name', { event: '', uid: 1, now }, 'marks[700].event'],
      ['a non-string event name', { event: 5, uid: 1, now }, 'marks[700].event'],
      ['a negative uid', { event: 'e', uid: -1, now }, 'marks[700].uid'],
      ['a fractional uid', { event: 'e', uid: 1.5, now }, 'marks[700].uid'],
      ['a uid past 2^32 - 1', { event: 'e', uid: 2 ** 32, now }, 'marks[700].uid'],
      ['a NaN uid', { event: 'e', uid: Number.NaN, now }, 'marks[700].uid'],
      ['a string uid', { event: 'e', uid: '5', now }, 'marks[700].uid'],
      ['an invalid date', { event: 'e', uid: 1, now: new Date('nope') }, 'marks[700].now'],
      ['a date string', { event: 'e', uid: 1, now: '2025-01-15' }, 'marks[700].now'],
      ['a date past the year 9999', { event: 'e', uid: 1, now: new Date('+010000-01-01T00:00:00Z') }, 'marks[700].now'],
    ];

    for (const [what, bad, argument] of badMarks) {
      it(`refuses an array holding ${what} before writing anything`, async () => {
        const marks = makeMarks(1000) as unknown[];
        marks[700] = bad;
        const refusal = await expectRefusal(t.bm.markEvents(marks as BulkMark[]), argument);
        expect(refusal.message.startsWith(`${argument}: `)).to.equal(true);
        expect(await t.keys()).to.deep.equal([]);
      });
    }

    for (const [kind, wrap] of [
      ['a sync iterable', (marks: BulkMark[]) => syncMarks(marks)],
      ['an async iterable', (marks: BulkMark[]) => asyncMarks(marks)],
    ] as const) {
      it(`stops ${kind} at its first bad mark: whole batches before it are written, nothing after`, async () => {
        for (const [, bad, argument] of [badMarks[0]!, badMarks[4]!, badMarks[9]!]) {
          const marks = makeMarks(1200, 9) as unknown[];
          marks[700] = bad;
          await expectRefusal(t.bm.markEvents(wrap(marks as BulkMark[])), argument);
          expect(await bitmaps(t.raw, t.prefix)).to.deep.equal(await markedOneByOne(marks.slice(0, 500) as BulkMark[]));
          await t.bm.deleteAllEvents();
        }
      });

      it(`passes on the error of ${kind} that throws, after the batches before it`, async () => {
        const marks = makeMarks(600, 10);
        const failing = async function* () {
          yield* wrap(marks);
          throw new Error('source broke');
        };
        let caught: unknown;
        await t.bm.markEvents(failing()).catch((error: unknown) => (caught = error));
        expect((caught as Error).message).to.equal('source broke');
        expect(await bitmaps(t.raw, t.prefix)).to.deep.equal(await markedOneByOne(marks.slice(0, 500)));
      });
    }

    it('applies maxUserId', async () => {
      const small = testBitmapist({ maxUserId: 1000 });
      try {
        await expectRefusal(small.bm.markEvents([{ event: 'e', uid: 1000, now }, { event: 'e', uid: 1001, now }]), 'marks[1].uid');
        expect(await small.keys()).to.deep.equal([]);
        expect(await small.bm.markEvents([{ event: 'e', uid: 1000, now }])).to.equal(1);
      } finally {
        await small.cleanup();
      }
    });
  });

  describe('the mark_many script', () => {
    const key = (suffix: string) => `${t.prefix}e_${suffix}`;
    const call = (keys: string[], ...args: (string | number)[]) =>
      runScript(t.bm.redis.bitmapistMarkMany(keys.length, ...keys, ...args));

    it('sets each user id of a group in each of its bitmaps and answers the number of marks', async () => {
      const keys = [key('2025-1'), key('W2025-3'), key('2025-1-15'), key('2025-1-16')];
      expect(await call(keys, 1, 4294967295, 2, '1,2,3', '5,7,0', '1,2,4', '9')).to.deep.equal([4]);
      expect(await t.raw.bitcount(keys[0]!)).to.equal(4);
      expect(await t.raw.bitcount(keys[1]!)).to.equal(4);
      expect(await t.bm.day('e', new Date('2025-01-15T00:00:00Z')).ids()).to.deep.equal([0, 5, 7]);
      expect(await t.bm.day('e', new Date('2025-01-16T00:00:00Z')).ids()).to.deep.equal([9]);
      expect(await call(keys, 0, 4294967295, 1, '3', '5,0')).to.deep.equal([2]);
      expect(await t.bm.day('e', new Date('2025-01-15T00:00:00Z')).ids()).to.deep.equal([7]);
    });

    it('leaves out whole every group with a key that is not a string, and names it with that key and its type', async () => {
      const keys = [key('2025-1'), key('W2025-3'), key('2025-1-15'), key('2025-1-16'), key('2025-1-17')];
      await t.raw.hset(keys[3]!, 'f', 'v');
      await t.raw.sadd(keys[4]!, 'm');
      const reply = await call(keys, 1, 4294967295, 3, '1,2,3', '5,7', '1,2,4', '9', '1,2,5', '11,12');
      expect(reply).to.deep.equal([2, 2, 4, 'hash', 3, 5, 'set']);
      expect(await t.bm.month('e', new Date('2025-01-15T00:00:00Z')).ids()).to.deep.equal([5, 7]);
      expect(await t.bm.week('e', new Date('2025-01-15T00:00:00Z')).ids()).to.deep.equal([5, 7]);
      expect(await t.bm.day('e', new Date('2025-01-15T00:00:00Z')).ids()).to.deep.equal([5, 7]);
      expect(await t.raw.hgetall(keys[3]!)).to.deep.equal({ f: 'v' });
      expect(await t.raw.smembers(keys[4]!)).to.deep.equal(['m']);
    });

    it('refuses malformed calls before its first write', async () => {
      const keys = [key('2025-1'), key('2025-1-15')];
      const malformed: (string | number)[][] = [
        [2, 100, 1, '1,2', '5'], // bit
        [1, 100, 0], // no group
        [1, 100, 2, '1,2', '5'], // fewer arguments than groups
        [1, 100, 1, '1,2', '5', 'extra'],
        [1, 'x', 1, '1,2', '5'], // max uid
        [1, 100, 1, '1,3', '5'], // key index past KEYS
        [1, 100, 1, '0,1', '5'], // key index 0
        [1, 100, 1, '', '5'],
        [1, 100, 1, '1,,2', '5'],
        [1, 100, 1, '1,2', '101'], // uid past the max
        [1, 100, 1, '1,2', '-1'],
        [1, 100, 1, '1,2', '1e1'],
        [1, 100, 1, '1,2', '05'],
        [1, 100, 1, '1,2', '5,'],
        [1, 100, 1, '1,2', ',5'],
        [1, 100, 1, '1,2', ' 5'],
        [1, 100, 1, '1,2', ''],
        [1, 100, 2, '1,2', '5', '1', '7,x'], // a bad second group: the first is not written either
      ];
      for (const args of malformed) {
        await expectRefusal(call(keys, ...args), 'script');
      }
      expect(await t.keys()).to.deep.equal([]);
    });
  });
});
