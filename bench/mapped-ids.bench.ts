/**
 * Benchmark 8: mapped user ids (`userIds: 'mapped'`) against integer ids: `markEvent` from 64 concurrent callers
 * with integer ids, with ids seen for the first time (allocated by the mark script, or on a Cluster by the id
 * map's shards first), with ids already seen (this instance's cache) and with ids already seen by another
 * instance (looked up in Redis), on three targets: the bench's Redis in the compatible layout, the same Redis in
 * the sharded layout, and a 3-master Redis Cluster started for it; and the memory a new mapped id costs beyond
 * its bits.
 */
import { Cluster, Redis } from 'ioredis';
import { Bitmapist } from '../src/index.js';
import { startRedisCluster } from '../src/testing/index.js';
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

interface Target {
  name: string;
  redis: Redis | Cluster;
  layout: 'compatible' | 'sharded';
}

interface Figure {
  target: string;
  label: string;
  perSecond: number;
}

/** The four rates on one target, every answer checked: each event counts `MARKS` users, in order of first sight. */
async function rates(target: Target, keyPrefix: string, now: Date): Promise<Figure[]> {
  const options = { redis: target.redis, layout: target.layout, keyPrefix } as const;
  const integers = new Bitmapist({ ...options, keyPrefix: `${keyPrefix}int_` });
  const mapped = new Bitmapist({ ...options, keyPrefix: `${keyPrefix}ids_`, userIds: 'mapped' });
  const other = new Bitmapist({ ...options, keyPrefix: `${keyPrefix}ids_`, userIds: 'mapped' });
  try {
    // A warm-up: scripts loaded, connections open and the marking path compiled before the first timed run.
    await rate((i) => integers.markEvent('bench:warm', i, { now }));
    const figures: [string, number][] = [
      ['integer ids', await rate((i) => integers.markEvent('bench:a', i, { now }))],
      ['mapped ids, first seen', await rate((i) => mapped.markEvent('bench:a', uuid(i), { now }))],
      ['mapped ids, seen (cached by this instance)', await rate((i) => mapped.markEvent('bench:b', uuid(i), { now }))],
      ['mapped ids, seen (by another instance)', await rate((i) => other.markEvent('bench:c', uuid(i), { now }))],
    ];
    const counted = await Promise.all([
      integers.day('bench:a', now).count(),
      ...['bench:a', 'bench:b', 'bench:c'].map((event) => mapped.day(event, now).count()),
    ]);
    const ids = await mapped.day('bench:c', now).ids();
    const sighted = new Set(ids);
    if (counted.some((count) => count !== MARKS) || sighted.size !== MARKS || !sighted.has(uuid(0)) || !sighted.has(uuid(MARKS - 1))) {
      throw new MismatchError(`mapped ids (${target.name}): counts ${counted.join(', ')} and ${sighted.size} distinct ids, expected ${MARKS} each`);
    }
    if (target.layout === 'compatible' && (ids[0] !== uuid(0) || ids[MARKS - 1] !== uuid(MARKS - 1))) {
      throw new MismatchError(`mapped ids (${target.name}): ids() not in order of first sight`);
    }
    return figures.map(([label, perSecond]) => ({ target: target.name, label, perSecond }));
  } finally {
    await Promise.all([integers.close(), mapped.close(), other.close()]);
  }
}

export async function benchMappedIds(ctx: BenchContext): Promise<BenchOutput> {
  const prefix = `${ctx.prefix}map_`;
  const now = ctx.data.cohortNow;
  const figures: Figure[] = [];
  ctx.log('mapped ids: markEvent from 64 callers, integer and mapped ids, one server');
  const server = new Redis(ctx.url);
  try {
    figures.push(...(await rates({ name: 'one server, compatible layout', redis: server, layout: 'compatible' }, `${prefix}c_`, now)));
    figures.push(...(await rates({ name: 'one server, sharded layout', redis: server, layout: 'sharded' }, `${prefix}s_`, now)));
  } finally {
    server.disconnect();
  }
  ctx.log('mapped ids: the same on a 3-master cluster started for it');
  const cluster = await startRedisCluster();
  const client = new Cluster(cluster.nodes);
  try {
    figures.push(...(await rates({ name: '3-master cluster', redis: client, layout: 'sharded' }, 'trackist_', now)));
  } finally {
    client.disconnect();
    await cluster.stop();
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
  try {
    const mappedBytes = await bytes(`${prefix}mem_uuid_`, 'mapped', uuid);
    const integerBytes = await bytes(`${prefix}mem_int_`, 'integers', (i) => i);
    const perId = (mappedBytes - integerBytes) / 100_000;

    const integerRate = (target: string) => figures.find((f) => f.target === target && f.label === 'integer ids')!.perSecond;
    const ratio = (f: Figure) => `${(f.perSecond / integerRate(f.target)).toFixed(2)}x`;
    const rows: BenchRow[] = figures.map((f) => ({
      section: '8. mapped ids',
      case: `markEvent, ${CALLERS} callers, ${num(MARKS)} marks: ${f.target}`,
      impl: f.label,
      dataSet: 'uuid',
      rate: `${num(f.perSecond)} marks/s`,
      ratio: f.label === 'integer ids' ? undefined : ratio(f),
      note: f.label === 'integer ids' ? 'the default mode' : 'against integer ids on the same target',
    }));
    const targets = [...new Set(figures.map((f) => f.target))];
    return {
      rows,
      targets: [],
      notes: [
        {
          title: 'Mapped user ids (benchmark 8)',
          lines: [
            `${num(MARKS)} \`markEvent\` calls of one event from ${CALLERS} concurrent callers, on each target; the cluster's 3 masters share the machine's cores with the bench.`,
            ...targets.map((target) => `- ${target}: ` + figures.filter((f) => f.target === target)
              .map((f) => `${f.label} ${num(f.perSecond)} marks/s${f.label === 'integer ids' ? '' : ` (${ratio(f)})`}`).join('; ')),
            `- A new mapped id (a 36-character UUID) costs ${num(perId)} bytes of \`used_memory\` beyond its bits (its two map entries): ` +
              `100,000 new ids marked once grew Redis by ${num(mappedBytes)} bytes, the same marks with integer ids by ${num(integerBytes)}.`,
            `- Every answer checked: ${num(MARKS)} users counted in each event on each target, \`ids()\` in order of first sight in the compatible layout.`,
          ],
        },
      ],
    };
  } finally {
    await deleteUnder(ctx.redis, prefix);
  }
}
