import { expect } from 'chai';
import fc from 'fast-check';
import { Bitmapist, BitmapistLimitError, MAX_IDS, type EventSet } from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

const now = new Date('2025-02-20T12:00:00Z');
type Tree = { op: 'leaf'; event: string } | { op: 'not'; operand: Tree } | { op: 'and' | 'or' | 'xor'; operands: Tree[] };

function build(bm: Bitmapist, tree: Tree): EventSet {
  if (tree.op === 'leaf') return bm.day(tree.event, now);
  if (tree.op === 'not') return build(bm, tree.operand).not();
  const [first, ...rest] = tree.operands.map((operand) => build(bm, operand));
  return first![tree.op](...rest);
}

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ op: fc.constant('leaf' as const), event: fc.constantFrom('a', 'b', 'c', 'none') }),
    fc.record({ op: fc.constant('not' as const), operand: tie('tree') }),
    fc.record({ op: fc.constantFrom('and' as const, 'or' as const, 'xor' as const), operands: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
  ),
})).tree;

describe('sharded layout: NOT covers the same ids as in the compatible layout', () => {
  let t: ReturnType<typeof testBitmapist>;
  let sharded: Bitmapist;
  let compatible: Bitmapist;
  beforeEach(() => {
    t = testBitmapist();
    sharded = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}s_`, layout: 'sharded', shardBits: 8 });
    compatible = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}c_` });
  });
  afterEach(async () => {
    await Promise.all([sharded.close(), compatible.close()]);
    await t.cleanup();
  });

  it('counts blocks without bitmaps below the highest one whole, without a call for them', async () => {
    for (const bm of [compatible, sharded]) {
      await bm.markEvent('a', 10, { now });
      await bm.markEvent('a', 2000, { now });
    }
    expect(await compatible.day('a', now).not().count()).to.equal(2006);
    const { result, names } = await countCommands(sharded.redis, () => sharded.day('a', now).not().count());
    expect(result).to.equal(2006);
    // The registry, then one length and one count call for each of blocks 0 and 7; none for blocks 1-6.
    expect(names.filter((name) => name === 'evalsha')).to.have.length(4);
    expect(await sharded.day('a', now).not().ids()).to.deep.equal(await compatible.day('a', now).not().ids());
    expect(await sharded.day('a', now).not().has(600)).to.equal(true);
  });

  it('answers random expressions as the compatible layout on random marks, with empty blocks between', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ event: fc.constantFrom('a', 'b', 'c'), uid: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1500, max: 2600 })) }), { maxLength: 12 }),
        tree,
        fc.integer({ min: 0, max: 2700 }),
        async (marks, expression, uid) => {
          const prefix = `${t.prefix}${Math.random().toString(36).slice(2, 8)}`;
          const c = new Bitmapist({ redis: t.raw, keyPrefix: `${prefix}c_` });
          const s = new Bitmapist({ redis: t.raw, keyPrefix: `${prefix}s_`, layout: 'sharded', shardBits: 8 });
          try {
            for (const { event, uid: id } of marks) {
              await c.markEvent(event, id, { now });
              await s.markEvent(event, id, { now });
            }
            const [left, right] = [build(c, expression), build(s, expression)];
            const ids = await left.ids();
            expect(await right.ids()).to.deep.equal(ids);
            expect(await right.count()).to.equal(ids.length);
            expect(await right.has(uid)).to.equal(await left.has(uid));
          } finally {
            // The shared client stays open; each engine lets go of its listeners on it.
            await Promise.all([c.close(), s.close()]);
          }
        },
      ),
      { numRuns: 60, seed: 9 },
    );
  });

  it('refuses ids() past MAX_IDS before fetching anything, and counts NOT near 2^53 without walking its blocks', async () => {
    const wide = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}w_`, layout: 'sharded', maxUserId: Number.MAX_SAFE_INTEGER });
    const top = Number.MAX_SAFE_INTEGER - 7; // the last byte of its block
    await wide.markEvent('a', top, { now });
    const notA = wide.day('a', now).not();
    expect(await notA.count()).to.equal(top + 8 - 1);
    expect(await notA.has(12345)).to.equal(true);
    expect(await notA.has(top)).to.equal(false);
    const { names } = await countCommands(wide.redis, () => notA.ids().catch((error: unknown) => error));
    // Only the registry and the one length call of the block in use: no evaluation, no bitmap fetched.
    expect(names.filter((name) => name === 'getrange' || name === 'evalsha')).to.deep.equal(['evalsha']);
    await notA.ids().then(
      () => expect.fail('ids() should refuse'),
      (error: unknown) => expect(error).to.be.instanceOf(BitmapistLimitError),
    );
    expect(MAX_IDS).to.equal(10_000_000);
  });

  it('evaluates over 4,096 blocks with at most two calls in flight and the compatible answer', async () => {
    const marks = Array.from({ length: 4096 }, (_, block) => ({ event: 'a', uid: block * 256 + (block % 7), now }));
    await sharded.markEvents(marks);
    await compatible.markEvents(marks);
    const inFlight = watchEvaluateCalls(sharded);
    const [count, ids] = await Promise.all([sharded.day('a', now).not().count(), sharded.day('a', now).ids()]);
    expect(count).to.equal(await compatible.day('a', now).not().count());
    expect(ids).to.deep.equal(await compatible.day('a', now).ids());
    expect(inFlight.most).to.equal(2);
  });

  it('keeps at most two script calls in flight, however many blocks and queries', async () => {
    for (let block = 0; block < 40; block++) await sharded.markEvent('a', block * 256 + 3, { now });
    const inFlight = watchEvaluateCalls(sharded);
    const counts = await Promise.all(Array.from({ length: 20 }, () => sharded.day('a', now).not().count()));
    expect(counts).to.deep.equal(Array(20).fill(39 * 256 + 8 - 40));
    expect(inFlight.most).to.equal(2);
  });
});

/** Counts the `evaluate` calls of `bm` in flight from now on: `most` is the highest count seen. */
function watchEvaluateCalls(bm: Bitmapist): { most: number } {
  const seen = { most: 0 };
  let inFlight = 0;
  const original = bm.redis.bitmapistEvaluateBuffer.bind(bm.redis);
  bm.redis.bitmapistEvaluateBuffer = ((...args: Parameters<typeof original>) => {
    inFlight += 1;
    seen.most = Math.max(seen.most, inFlight);
    return original(...args).finally(() => (inFlight -= 1));
  }) as typeof original;
  return seen;
}
