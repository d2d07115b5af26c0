/**
 * Benchmark 6, second half: what one mark at user id 4,000,000,000 costs. Each of its bitmaps grows to
 * 500 MB, so it runs last, on fresh keys, only on the bench's own server, and the keys are deleted at once.
 */
import { Bitmapist, MAX_BITMAP_USER_ID } from '../src/index.js';
import { num, type BenchContext, type BenchOutput } from './context.js';
import { deleteUnder, keysUnder } from './keyspace.js';
import { usedMemory } from './redis-stats.js';

export const BIG_USER_ID = 4_000_000_000;

export async function benchBigUserId(ctx: BenchContext): Promise<BenchOutput> {
  const title = 'Memory of one mark at user id 4,000,000,000 (benchmark 6)';
  if (!ctx.ownsServer && process.env.BENCH_BIG_MARK !== '1') {
    return {
      rows: [],
      targets: [],
      notes: [{ title, lines: ['Skipped: REDIS_URL points at a server the bench did not start (set BENCH_BIG_MARK=1 to run it there).'] }],
    };
  }
  const prefix = `${ctx.prefix}big_`;
  // The default maxUserId (2^24 - 1) refuses this id: raise it as a user with such ids would have to.
  const bm = new Bitmapist({ redis: ctx.url, keyPrefix: prefix, maxUserId: MAX_BITMAP_USER_ID });
  try {
    ctx.log('one mark at uid 4,000,000,000');
    await bm.redis.ping();
    const before = await usedMemory(ctx.redis);
    const start = performance.now();
    await bm.markEvent('user:big', BIG_USER_ID, { now: ctx.data.cohortNow });
    const markMs = performance.now() - start;
    const grown = (await usedMemory(ctx.redis)) - before;
    const keys = await keysUnder(ctx.redis, prefix);
    const usage = await Promise.all(keys.map(async (key) => (await ctx.redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0));
    return {
      rows: [],
      targets: [],
      notes: [
        {
          title,
          lines: [
            `- One \`markEvent\` (month, ISO week and day bitmaps) at uid ${num(BIG_USER_ID)} took ${num(markMs)} ms `
              + `and grew \`used_memory\` by ${num(grown)} bytes (${(grown / 2 ** 20).toFixed(0)} MiB).`,
            ...keys.map((key, i) => `- \`MEMORY USAGE ${key.slice(prefix.length)}\`: ${num(usage[i]!)} bytes`),
            '- Each bitmap is (uid + 1) / 8 bytes long no matter how many users it holds: keep user ids dense, '
              + 'or lower `maxUserId`. The keys were deleted right after.',
          ],
        },
      ],
    };
  } finally {
    await deleteUnder(ctx.redis, prefix);
    await bm.close();
  }
}
