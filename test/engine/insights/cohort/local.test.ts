import { expect } from 'chai';
import { Bitmapist, BitmapistArgumentError, type CohortMode } from '../../../../src/index.js';
import { runScript } from '../../../../src/engine/redis/scripts.js';
import { MAX_LOCAL_KEYS } from '../../../../src/engine/insights/cohort/local.js';
import { MarkModel, prng, shift } from '../../../support/model.js';
import { testBitmapist } from '../../../support/redis.js';
import { commandsOf, oneWindowsPass } from '../support/segments.js';
import { cohortRunner } from './paths.js';
import { planCohort } from '../../../../src/engine/insights/cohort/plan.js';

/**
 * Small cohorts are read in one `read_bitmaps` call (from their populations' first users) and counted in the
 * process; bigger ones are counted in Redis, with the same answer.
 */
describe('getCohort counted in the process', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-05-20T12:00:00Z');

  /**
   * A product: each day's sign-ups get new, higher ids; earlier users come back now and then. The model holds
   * the marks of the users `modelled` keeps (all by default): a segment's cohort is the cohort of its users' marks.
   */
  async function markProduct(seed: number, firstId = 0, modelled: (uid: number) => boolean = () => true, bm: Bitmapist = t.bm): Promise<MarkModel> {
    const random = prng(seed);
    const model = new MarkModel();
    const marks: { event: string; uid: number; now: Date }[] = [];
    const mark = (event: string, uid: number, at: Date) => {
      if (modelled(uid)) model.add(event, uid, at);
      marks.push({ event, uid, now: at });
    };
    let next = firstId;
    for (let day = -20; day <= 0; day++) {
      const at = shift('day', now, day);
      const signups = 30 + Math.floor(random() * 100);
      for (let n = 0; n < signups; n++) mark('signup', next++, at);
      for (let n = 0; n < 200; n++) mark('active', firstId + Math.floor(random() * (next - firstId)), at);
    }
    await bm.markEvents(marks);
    return model;
  }

  it('answers in one read-only call of a few commands per bitmap, writing nothing', async () => {
    const model = await markProduct(1);
    const before = await t.keys();
    for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
      const options = { numRows: 15, numCols: 15, mode, now };
      const { result, sent } = await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', options));
      expect(sent, mode).to.deep.equal(['read_bitmaps.lua']);
      const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode, now });
      expect(want.cohort.flat().filter((v) => (v ?? 0) > 0), mode).to.have.length.above(30);
      expect(result.cohort, mode).to.deep.equal(want.cohort);
      expect(result.totals, mode).to.deep.equal(want.totals);
    }
    expect(await t.keys()).to.deep.equal(before);
  });

  it('reads long bitmaps with narrow windows after the windows pass, in one MULTI of GETRANGEs', async () => {
    // Ids from 4,000,000 on: bitmaps of 500 KB, over the scan limit together; their last weeks are 2 KB wide.
    const model = await markProduct(4, 4_000_000);
    const before = await t.keys();
    for (const [i, mode] of (['first', 'recurring', 'unbounded'] as CohortMode[]).entries()) {
      const options = { numRows: 15, numCols: 15, mode, now };
      const { result, sent: calls } = await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', options));
      const sent = oneWindowsPass(calls);
      // The same bitmaps asked again: the read that refused them as too long is not made again.
      const read = i === 0 ? ['read_bitmaps.lua'] : [];
      expect(sent.slice(0, read.length + 2), mode).to.deep.equal([...read, 'cohort_windows.lua', 'multi']);
      expect(sent.at(-1), mode).to.equal('exec');
      expect(new Set(sent.slice(read.length + 2, -1)), mode).to.deep.equal(new Set(['getrange']));
      const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode, now });
      expect(result.cohort, mode).to.deep.equal(want.cohort);
      expect(result.totals, mode).to.deep.equal(want.totals);
    }
    expect(await t.keys()).to.deep.equal(before);
  });

  it('skips the refused read for at most a minute, and a stale skip costs the windows pass, not a wrong count', async () => {
    await markProduct(4, 4_000_000);
    const options = { numRows: 15, numCols: 15, now };
    expect((await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', options))).sent[0]).to.equal('read_bitmaps.lua');
    // The same bitmaps, short now: the process still remembers them as long.
    await t.bm.deleteAllEvents();
    const model = await markProduct(5);
    const { result, sent } = await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', options));
    expect(sent[0]).to.equal('cohort_windows.lua');
    const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode: 'first', now });
    expect(result.cohort).to.deep.equal(want.cohort);
    expect(result.totals).to.deep.equal(want.totals);
  });

  it('reads a segment that is one event bitmap in the same calls, at once or after the windows pass', async () => {
    for (const [firstId, afterWindows] of [[0, false], [4_000_000, true]] as const) {
      const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}${firstId}_` });
      const pro = (uid: number) => uid % 3 === 0;
      const model = await markProduct(6, firstId, pro, bm);
      const segmentUsers = Array.from({ length: 3000 }, (_, n) => firstId + n).filter(pro);
      for (const uid of segmentUsers) await bm.markUnique('plan:pro', uid);
      for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
        const options = { numRows: 15, numCols: 15, mode, now, segment: bm.unique('plan:pro') };
        const { result, sent: calls } = await commandsOf(bm.redis, () => bm.getCohort('signup', 'active', options));
        const sent = oneWindowsPass(calls);
        // Long bitmaps asked again: the read that refused them is not made again.
        const read = afterWindows && mode !== 'first' ? [] : ['read_bitmaps.lua'];
        const reads = sent.slice(read.length + 2, -1);
        expect(sent, `${firstId} ${mode}`).to.deep.equal(afterWindows ? [...read, 'cohort_windows.lua', 'multi', ...reads, 'exec'] : read);
        expect(reads.every((name) => name === 'getrange')).to.equal(true);
        const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode, now });
        expect(want.totals.some((total) => total > 0)).to.equal(true);
        expect(result.cohort, `${firstId} ${mode}`).to.deep.equal(want.cohort);
        expect(result.totals, `${firstId} ${mode}`).to.deep.equal(want.totals);
      }
      await bm.close();
    }
  });

  it('counts a cohort whose segment is an expression in the process: evaluated in Redis, read in one MULTI', async () => {
    const segments = [
      { name: 'pro or team', of: (bm: Bitmapist) => bm.unique('plan:pro').or(bm.unique('plan:team')), has: (uid: number) => uid % 3 === 0 || uid % 5 === 0 },
      { name: 'not pro', of: (bm: Bitmapist) => bm.unique('plan:pro').not(), has: (uid: number) => uid % 3 !== 0 },
    ];
    for (const firstId of [0, 4_000_000]) {
      for (const [i, segment] of segments.entries()) {
        const bm = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}${firstId}_${i}_` });
        const model = await markProduct(7, firstId, segment.has, bm);
        for (let uid = firstId; uid < firstId + 3000; uid++) {
          if (uid % 3 === 0) await bm.markUnique('plan:pro', uid);
          if (uid % 5 === 0) await bm.markUnique('plan:team', uid);
        }
        const before = await t.raw.keys(`${t.prefix}${firstId}_${i}_*`);
        for (const mode of ['first', 'recurring', 'unbounded'] as CohortMode[]) {
          const what = `${firstId} ${segment.name} ${mode}`;
          const options = { numRows: 15, numCols: 15, mode, now, segment: segment.of(bm) };
          const { result, sent: calls } = await commandsOf(bm.redis, () => bm.getCohort('signup', 'active', options));
          const sent = oneWindowsPass(calls);
          expect(sent.slice(0, 2), what).to.deep.equal(['cohort_windows.lua', 'evaluate.lua']);
          expect(sent, what).to.include('multi').and.not.include('cohort_row.lua');
          expect(sent.at(-1), what).to.equal('unlink');
          const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode, now });
          expect(want.totals.some((total) => total > 0), what).to.equal(true);
          expect(result.cohort, what).to.deep.equal(want.cohort);
          expect(result.totals, what).to.deep.equal(want.totals);
        }
        expect((await t.raw.keys(`${t.prefix}${firstId}_${i}_*`)).sort(), 'no scratch key left').to.deep.equal(before.sort());
        await bm.close();
      }
    }
  });

  it('sizes a cohort with an expression segment before evaluating it: a big one is evaluated once, in Redis', async () => {
    const pro = (uid: number) => uid % 3 === 0;
    const model = await markProduct(8, 0, pro);
    for (let uid = 0; uid < 3000; uid += 3) await t.bm.markUnique('plan:pro', uid);
    const options = { numRows: 15, numCols: 15, now, segment: t.bm.unique('plan:pro').and(t.bm.unique('plan:pro').not().not()) };
    const { result, sent } = await commandsOf(t.bm.redis, () => cohortRunner(t.bm, { localBytes: 100 }).cohort(planCohort('signup', 'active', options, undefined, t.bm)));
    expect(sent.filter((name) => name === 'evaluate.lua')).to.have.length(1);
    expect(sent).to.include('cohort_row.lua').and.not.include('multi');
    const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode: 'first', now });
    expect(result.cohort).to.deep.equal(want.cohort);
    expect(result.totals).to.deep.equal(want.totals);
  });

  it('holds at most 4 times what it reads: populations far from the first one are left to Redis', async () => {
    // Day 0 has a sign-up at id 0, every other day's sign-ups are near id 80,000, and only user 0 comes back: each
    // read but day 0's is a few bytes, yet each population is held from id 0 on (10 KB).
    const model = new MarkModel();
    const marks: { event: string; uid: number; now: Date }[] = [];
    const mark = (event: string, uid: number, day: number) => {
      model.add(event, uid, shift('day', now, -day));
      marks.push({ event, uid, now: shift('day', now, -day) });
    };
    for (let day = 0; day < 10; day++) {
      for (const uid of day === 9 ? [0, 80_000] : [80_000 + day]) mark('signup', uid, day);
      mark('active', 0, day);
    }
    await t.bm.markEvents(marks);
    const options = { numRows: 10, numCols: 10, mode: 'recurring' as const, now };
    const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 10, cols: 10, mode: 'recurring', now });
    // 20 KB may be read (about 12 KB are), 80 KB held: not enough, either at once or after the windows pass.
    const { result, sent } = await commandsOf(t.bm.redis, () => cohortRunner(t.bm, { localBytes: 20_000 }).cohort(planCohort('signup', 'active', options)));
    expect(sent).to.include('read_bitmaps.lua').and.include('cohort_row.lua');
    expect(sent).to.not.include('multi');
    expect(result.cohort).to.deep.equal(want.cohort);
    expect((await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', options))).sent).to.deep.equal(['read_bitmaps.lua']);
  });

  it('reads only from the populations\' first users on (a product of old users is not read back to id 0)', async () => {
    await markProduct(2, 4_000_000);
    const reply = await t.bm.redis.bitmapistReadBitmapsBuffer(
      3,
      t.bm.keys.eventKey('signup', '2025-5-20'),
      t.bm.keys.eventKey('signup', '2025-5-19'),
      t.bm.keys.eventKey('active', '2025-5-20'),
      8_000_000,
      1_000_000,
      1,
      2,
      1,
    );
    const [found, lo, start1, start2, ...bitmaps] = reply as [number, number, number, number, ...Buffer[]];
    expect(found).to.equal(1);
    // Ids from 4,000,000 on: byte 500,000 on, rounded down to a multiple of 4; yesterday's sign-ups come first.
    expect(lo).to.equal(start2).and.to.be.at.least(500_000);
    expect(lo % 4).to.equal(0);
    expect(start1).to.be.above(start2);
    expect(start1 % 4).to.equal(0);
    expect(bitmaps).to.have.length(3);
    const total = bitmaps.reduce((sum, bitmap) => sum + bitmap.length, 0);
    expect(total).to.be.below(2_000);
    // The bitmaps end where the longest population ends: today's sign-ups.
    const end = await t.raw.strlen(t.bm.keys.eventKey('signup', '2025-5-20'));
    expect(start1 + bitmaps[0]!.length).to.equal(end);
    expect(lo + bitmaps[2]!.length).to.be.at.most(end);
  });

  it('answers { 0 } over its scan or byte limit, a section without users -1, and refuses malformed arguments', async () => {
    await t.raw.setbit(t.bm.keys.eventKey('p', '1'), 100, 1);
    await t.raw.setbit(t.bm.keys.eventKey('o', '1'), 200, 1);
    const p = t.bm.keys.eventKey('p', '1');
    const o = t.bm.keys.eventKey('o', '1');
    const missing = t.bm.keys.eventKey('p', '2');
    const read = (scan: number, limit: number, ...rest: (string | number)[]) => t.bm.redis.bitmapistReadBitmapsBuffer(2, p, o, scan, limit, ...rest);
    // p's first user is bit 100 (byte 12), and both are read up to p's end (byte 12): 1 byte each.
    expect(await read(100, 2, 1, 1, 1)).to.deep.equal([1, 12, 12, Buffer.from([0x08]), Buffer.from([0])]);
    expect(await read(100, 1, 1, 1, 1)).to.deep.equal([0]);
    // Together 13 + 26 bytes long: over a scan limit of 38, whatever the answer would hold.
    expect(await read(39, 2, 1, 1, 1)).to.deep.equal([1, 12, 12, Buffer.from([0x08]), Buffer.from([0])]);
    expect(await read(38, 2, 1, 1, 1)).to.deep.equal([0]);
    expect(await t.bm.redis.bitmapistReadBitmapsBuffer(2, missing, o, 100, 100, 1, 1, 1)).to.deep.equal([1, -1]);
    for (const args of [[100, -1, 1, 1, 1], [100, 2, 1, 1], [100, 2, 1, 2, 1], [100, 2, 1, 'x', 1], [100, 2.5, 1, 1, 1], [-1, 2, 1, 1, 1]]) {
      const error = await runScript(read(...(args as [number, number, ...number[]]))).then(() => undefined, (e: unknown) => e);
      expect(error, JSON.stringify(args)).to.be.instanceOf(BitmapistArgumentError);
    }
  });

  it('leaves a cohort over its byte limit, or a block of over MAX_LOCAL_KEYS bitmaps, to Redis, with the same answer', async () => {
    const model = await markProduct(3);
    // One user far away makes every bitmap of the last days long: over a limit of 1 KB, within the default.
    for (let day = -20; day <= 0; day++) {
      for (const event of ['signup', 'active']) {
        model.add(event, 200_000, shift('day', now, day));
        await t.bm.markEvent(event, 200_000, { now: shift('day', now, day) });
      }
    }
    const options = { numRows: 15, numCols: 15, mode: 'first' as const, now };
    const want = model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 15, cols: 15, mode: 'first', now });
    const small = cohortRunner(t.bm, { localBytes: 1024 });
    const { result, sent } = await commandsOf(t.bm.redis, () => small.cohort(planCohort('signup', 'active', options)));
    expect(sent[0]).to.equal('read_bitmaps.lua');
    expect(sent).to.include('cohort_windows.lua').and.include('cohort_row.lua');
    expect(result.cohort).to.deep.equal(want.cohort);
    expect((await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', options))).sent).to.deep.equal(['read_bitmaps.lua']);

    // 300 rows of days read 600 bitmaps: over MAX_LOCAL_KEYS, no read_bitmaps call at all.
    expect(MAX_LOCAL_KEYS).to.be.below(600);
    const wide = { numRows: 300, numCols: 2, mode: 'recurring' as const, now };
    const { result: wideResult, sent: wideSent } = await commandsOf(t.bm.redis, () => t.bm.getCohort('signup', 'active', wide));
    expect(wideSent).to.not.include('read_bitmaps.lua');
    expect(wideSent).to.include('cohort_windows.lua');
    expect(wideResult.cohort).to.deep.equal(model.cohort('signup', 'active', { additional: [], unit: 'day', rows: 300, cols: 2, mode: 'recurring', now }).cohort);
  });
});
