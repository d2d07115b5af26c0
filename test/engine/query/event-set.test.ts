import { expect } from 'chai';
import { BitmapistArgumentError, BitmapistLimitError, MAX_IDS, PeriodEventSet, type EventSet } from '../../../src/index.js';
import { countCommands, intersect, prng, sorted, union } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

describe('EventSet', () => {
  let t: ReturnType<typeof testBitmapist>;
  before(() => {
    t = testBitmapist();
  });
  after(() => t.cleanup());

  const day = new Date('2025-02-10T12:00:00Z');
  const sets: Record<string, Set<number>> = {};

  before(async () => {
    const random = prng(7);
    for (const event of ['a', 'b', 'c', 'd']) {
      sets[event] = new Set(Array.from({ length: 300 }, () => Math.floor(random() * 2000)));
      await Promise.all([...sets[event]!].map((uid) => t.bm.markEvent(event, uid, { now: day })));
    }
    // 'b' also has a user far past everyone else's: NOT must cover the longest bitmap.
    await t.bm.markEvent('b', 5000, { now: day });
    sets.b!.add(5000);
  });

  const d = (event: string) => t.bm.day(event, day);

  it('counts, tests membership and lists ids of one bitmap', async () => {
    expect(await d('a').count()).to.equal(sets.a!.size);
    expect(await d('a').ids()).to.deep.equal(sorted(sets.a!));
    const member = sorted(sets.a!)[0]!;
    expect(await d('a').has(member)).to.equal(true);
    const outsider = [...Array(2000).keys()].find((u) => !sets.a!.has(u))!;
    expect(await d('a').has(outsider)).to.equal(false);
    expect(await d('nobody').count()).to.equal(0);
    expect(await d('nobody').ids()).to.deep.equal([]);
    expect(await d('nobody').has(1)).to.equal(false);
  });

  it('evaluates AND, OR and XOR of any number of sets', async () => {
    const { a, b, c } = sets as Record<string, Set<number>>;
    expect(await d('a').and(d('b')).ids()).to.deep.equal(sorted(intersect(a!, b!)));
    expect(await d('a').and(d('b'), d('c')).ids()).to.deep.equal(sorted(intersect(intersect(a!, b!), c!)));
    expect(await d('a').or(d('b'), d('c')).count()).to.equal(union(union(a!, b!), c!).size);
    const xor = sorted([...union(a!, b!)].filter((u) => a!.has(u) !== b!.has(u)));
    expect(await d('a').xor(d('b')).ids()).to.deep.equal(xor);
  });

  it('takes NOT over the longest bitmap read, so a AND NOT b is a minus b', async () => {
    const { a, b } = sets as Record<string, Set<number>>;
    expect(await d('a').and(d('b').not()).ids()).to.deep.equal(sorted([...a!].filter((u) => !b!.has(u))));
    // 'a' alone is shorter than 'b': its complement still covers b's bytes when both are read.
    const universe = 8 * (Math.floor(5000 / 8) + 1);
    const notA = [...Array(universe).keys()].filter((u) => !a!.has(u));
    expect(await d('a').not().and(d('b').or(d('a').not())).count()).to.equal(notA.length);
    const aOnly = 8 * (Math.floor(Math.max(...a!) / 8) + 1);
    expect(await d('a').not().count()).to.equal(aOnly - a!.size);
    expect(await d('nobody').not().count()).to.equal(0);
  });

  it('evaluates a deep expression in one script call, and does no I/O until awaited', async () => {
    const { a, b, c, d: dd } = sets as Record<string, Set<number>>;
    let expression: EventSet | undefined;
    const built = await countCommands(t.bm.redis, async () => {
      expression = d('a').or(d('b').and(d('c').xor(d('d').and(d('a').not())))).and(d('c').or(d('d')));
    });
    expect(built.names).to.deep.equal([]);
    const notA = (u: number) => !a!.has(u);
    const inner = new Set([...union(c!, dd!)].filter((u) => c!.has(u) !== (dd!.has(u) && notA(u))));
    const expected = intersect(union(a!, intersect(b!, inner)), union(c!, dd!));
    const counted = await countCommands(t.bm.redis, () => expression!.ids());
    expect(counted.names).to.deep.equal(['evalsha']);
    expect(counted.result).to.deep.equal(sorted(expected));
  });

  it('leaves no key behind after any evaluation', async () => {
    const before = await t.keys();
    await d('a').and(d('b').not()).or(d('c').xor(d('d'))).count();
    await d('a').or(d('b')).ids();
    await d('a').and(d('c')).has(3);
    expect(await t.keys()).to.deep.equal(before);
  });

  it('moves between periods with next, prev and delta', async () => {
    await t.bm.markEvent('p', 1, { now: new Date('2025-01-31T00:00:00Z') });
    await t.bm.markEvent('p', 2, { now: new Date('2025-02-01T00:00:00Z') });
    await t.bm.markEvent('p', 3, { now: new Date('2025-03-01T00:00:00Z') });
    const feb = t.bm.month('p', new Date('2025-02-14T00:00:00Z'));
    expect(feb).to.be.instanceOf(PeriodEventSet);
    expect(feb.periodStart.toISOString()).to.equal('2025-02-01T00:00:00.000Z');
    expect(feb.periodEnd.toISOString()).to.equal('2025-02-28T23:59:59.999Z');
    expect(await feb.ids()).to.deep.equal([2]);
    expect(await feb.prev().ids()).to.deep.equal([1]);
    expect(await feb.next().ids()).to.deep.equal([3]);
    expect(await feb.delta(-1).ids()).to.deep.equal([1]);
    expect(feb.delta(10).periodStart.toISOString()).to.equal('2025-12-01T00:00:00.000Z');
    const firstDay = t.bm.day('p', new Date('2025-01-31T05:00:00Z'));
    expect(await firstDay.next().ids()).to.deep.equal([2]);
    expect(firstDay.next().periodStart.toISOString()).to.equal('2025-02-01T00:00:00.000Z');
    const week = t.bm.week('p', new Date('2025-01-31T00:00:00Z'));
    expect(week.periodStart.toISOString()).to.equal('2025-01-27T00:00:00.000Z');
    expect(await week.ids()).to.deep.equal([1, 2]);
    expect(() => feb.delta(1.5)).to.throw(BitmapistArgumentError);
  });

  it('makes a year the OR of its twelve months, with hours too', async () => {
    await t.bm.markEvent('y', 10, { now: new Date('2024-12-31T23:00:00Z'), trackHourly: true });
    await t.bm.markEvent('y', 11, { now: new Date('2025-01-01T00:00:00Z'), trackHourly: true });
    await t.bm.markEvent('y', 12, { now: new Date('2025-12-31T23:59:59Z') });
    const y2025 = t.bm.year('y', new Date('2025-06-01T00:00:00Z'));
    expect(await y2025.ids()).to.deep.equal([11, 12]);
    expect(await y2025.prev().ids()).to.deep.equal([10]);
    expect(y2025.periodEnd.toISOString()).to.equal('2025-12-31T23:59:59.999Z');
    expect(await t.bm.hour('y', new Date('2024-12-31T23:30:00Z')).ids()).to.deep.equal([10]);
    expect(await t.bm.hour('y', new Date('2024-12-31T22:30:00Z')).ids()).to.deep.equal([]);
  });

  it('reads all twelve months of a year, even one ahead of the clock (more in year.test.ts)', async () => {
    const nextYear = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 15));
    await t.bm.markEvent('future', 7, { now: nextYear });
    expect(await t.bm.month('future', nextYear).ids()).to.deep.equal([7]);
    expect(await t.bm.year('future', nextYear).ids()).to.deep.equal([7]);
    expect(await t.bm.year('future', nextYear).not().ids()).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect((t.bm.year('future', nextYear).expression as { operands: unknown[] }).operands).to.have.length(12);
    expect((t.bm.year('future', new Date('2024-03-01T00:00:00Z')).expression as { operands: unknown[] }).operands).to.have.length(12);
  });

  it('refuses ids() of more than MAX_IDS ids before fetching the bitmap, and leaves no scratch key', async () => {
    await t.bm.markEvent('wide', 16_000_000, { now: day });
    const everyoneElse = d('wide').not();
    expect(await everyoneElse.count()).to.equal(16_000_008 - 1); // every id below the end of its last byte
    const before = await t.keys();
    const { result, names } = await countCommands(t.bm.redis, () => everyoneElse.ids().catch((error: unknown) => error));
    expect(result).to.be.instanceOf(BitmapistLimitError);
    expect((result as Error).message).to.include(String(MAX_IDS));
    expect(names).to.not.include('getrange');
    expect(await t.keys()).to.deep.equal(before);
    expect(await d('wide').ids()).to.deep.equal([16_000_000]);
  });

  it('gives the period set of getEventData and the chain of chainEvents', async () => {
    const data = t.bm.getEventData('a', { now: day });
    expect(await data.count()).to.equal(sets.a!.size);
    const monthly = t.bm.getEventData('a', { timeGroup: 'month', now: day });
    expect(monthly.periodStart.toISOString()).to.equal('2025-02-01T00:00:00.000Z');
    expect(await monthly.count()).to.equal(sets.a!.size);
  });
});
