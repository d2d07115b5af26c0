/**
 * Benchmark 8: mapped user ids (`userIds: 'mapped'`) against integer ids on the bench's Redis: `markEvent` from
 * 64 concurrent callers with integer ids, with ids seen for the first time (allocated inside the mark script),
 * with ids already seen (this instance's cache) and with ids already seen by another instance (looked up in
 * Redis), and the memory a new mapped id costs beyond its bits.
 */
import { Bitmapist } from '../src/index.js';
import { num, type BenchContext, type BenchOutput } from './context.js';
import { deleteUnder, MismatchError } from './keyspace.js';
import type { BenchRow } from './report.js';
import { usedMemory } from './redis-stats.js';

const MARKS = 50_000;
const CALLERS = 64;
/** UUID-shaped ids, as `@PrimaryGeneratedColumn('uuid')` gives. */
const uuid = (i: number) => `3f2b6c1e-8a4d-4f7e-9b21-${String(i).padStart(12, '0')}`;

/** Marks/s of `MARKS` calls of `mark(i)` from `CALLERS` concurrent callers. */
async function rate(mark: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (next < MARKS) await mark(next++);
  }));
  return MARKS / ((performance.now() - start) / 1000);
}

export async function benchMappedIds(ctx: BenchContext): Promise<BenchOutput> {
  const prefix = `${ctx.prefix}map_`;
  const now = ctx.data.cohortNow;
  const integers = new Bitmapist({ redis: ctx.url, keyPrefix: `${prefix}int_` });
  const mapped = new Bitmapist({ redis: ctx.url, keyPrefix: `${prefix}ids_`, userIds: 'mapped' });
  const other = new Bitmapist({ redis: ctx.url, keyPrefix: `${prefix}ids_`, userIds: 'mapped' });
  try {
    ctx.log('mapped ids: markEvent from 64 callers, integer and mapped ids');
    const figures: [string, number][] = [
      ['integer ids', await rate((i) => integers.markEvent('bench:a', i, { now }))],
      ['mapped ids, first seen', await rate((i) => mapped.markEvent('bench:a', uuid(i), { now }))],
      ['mapped ids, seen (cached by this instance)', await rate((i) => mapped.markEvent('bench:b', uuid(i), { now }))],
      ['mapped ids, seen (by another instance)', await rate((i) => other.markEvent('bench:c', uuid(i), { now }))],
    ];
    const counted = await Promise.all(['bench:a', 'bench:b', 'bench:c'].map((event) => mapped.day(event, now).count()));
    const ids = await mapped.day('bench:c', now).ids();
    if (counted.some((count) => count !== MARKS) || ids.length !== MARKS || ids[0] !== uuid(0) || ids[MARKS - 1] !== uuid(MARKS - 1)) {
      throw new MismatchError(`mapped ids: counts ${counted.join(', ')} and ${ids.length} ids, expected ${MARKS} each in order of first sight`);
    }

    ctx.log('mapped ids: memory of 100,000 new ids');
    const bytes = async (keyPrefix: string, userIds: 'mapped' | 'integers', id: (i: number) => string | number) => {
      const bm = new Bitmapist({ redis: ctx.url, keyPrefix, userIds });
      try {
        const before = await usedMemory(ctx.redis);
        await bm.markEvents(Array.from({ length: 100_000 }, (_, i) => ({ event: 'bench:m', uid: id(i) as never, now })));
        return (await usedMemory(ctx.redis)) - before;
      } finally {
        await bm.close();
      }
    };
    const mappedBytes = await bytes(`${prefix}mem_uuid_`, 'mapped', uuid);
    const integerBytes = await bytes(`${prefix}mem_int_`, 'integers', (i) => i);
    const perId = (mappedBytes - integerBytes) / 100_000;

    const integerRate = figures[0]![1];
    const rows: BenchRow[] = figures.map(([label, perSecond]) => ({
      section: '8. mapped ids',
      case: `markEvent, ${CALLERS} callers, ${num(MARKS)} marks`,
      impl: label,
      dataSet: 'uuid',
      rate: `${num(perSecond)} marks/s`,
      ratio: label === 'integer ids' ? undefined : `${(perSecond / integerRate).toFixed(2)}x`,
      note: label === 'integer ids' ? 'the default mode' : 'against integer ids',
    }));
    return {
      rows,
      targets: [],
      notes: [
        {
          title: 'Mapped user ids (benchmark 8)',
          lines: [
            ...figures.map(([label, perSecond]) => `- ${label}: ${num(perSecond)} marks/s (${(perSecond / integerRate).toFixed(2)}x integer ids)`),
            `- A new mapped id (a 36-character UUID) costs ${num(perId)} bytes of \`used_memory\` beyond its bits (its two map entries): ` +
              `100,000 new ids marked once grew Redis by ${num(mappedBytes)} bytes, the same marks with integer ids by ${num(integerBytes)}.`,
            `- Every answer checked: ${num(MARKS)} users counted in each event, \`ids()\` in order of first sight.`,
          ],
        },
      ],
    };
  } finally {
    await Promise.all([integers.close(), mapped.close(), other.close()]);
    await deleteUnder(ctx.redis, prefix);
  }
}
