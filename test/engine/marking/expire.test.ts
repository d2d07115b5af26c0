import { expect } from 'chai';
import { Bitmapist, BitmapistArgumentError } from '../../../src/index.js';
import { ExpiryWriter } from '../../../src/engine/marking/expiry-writer.js';
import { beyondRetention, expiresAt } from '../../../src/engine/time/retention.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

const HOUR = 3600;
const DAY = 86_400;
/** A mark in the future, so that no expiry has passed yet. */
const now = new Date('2031-02-20T12:34:00Z');
const unix = (iso: string) => Date.parse(iso) / 1000;
const expireCalls = (names: string[]) => names.filter((name) => name === 'expireat').length;

/** The calls of the EXPIRE family Redis has served (INFO commandstats). */
async function expireCommandsServed(raw: Bitmapist['redis']): Promise<number> {
  const info = await raw.info('commandstats');
  return [...info.matchAll(/^cmdstat_(?:expire|expireat|pexpire|pexpireat):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/**
 * An ExpiryWriter (day bitmaps kept a day) on the test Redis whose first EXPIREAT runs at once but has its reply
 * held back until `release()`; `firstSent` resolves once Redis has run it.
 */
function writerHoldingFirstReply(t: { raw: Bitmapist['redis']; prefix: string }) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let sent!: () => void;
  const firstSent = new Promise<void>((resolve) => (sent = resolve));
  let calls = 0;
  const client = {
    async expireat(key: string, at: number, nx: 'NX') {
      const reply = await t.raw.expireat(key, at, nx);
      if (++calls === 1) {
        sent();
        await held;
      }
      return reply;
    },
  };
  const writer = new ExpiryWriter(client as never, new Bitmapist({ redis: t.raw, keyPrefix: t.prefix }).keys, { day: DAY });
  return { writer, firstSent, release };
}

/**
 * An unmark's EXPIREAT of an existing day bitmap that takes, its reply held back while deleteAllEvents (as the
 * writer sees it) deletes the bitmap: `release()` lets the reply through, `unmarked` settles after it.
 */
async function unmarkHeldAcrossDeletion(t: { raw: Bitmapist['redis']; prefix: string }) {
  const { writer, firstSent, release } = writerHoldingFirstReply(t);
  const expiring = writer.keysOf('a', 0, now, false);
  const day = `${t.prefix}a_2031-2-20`;
  await t.raw.setbit(day, 1, 0);
  const unmarked = writer.afterWrite(expiring, false);
  await firstSent;
  writer.forgetAll();
  await t.raw.del(day);
  writer.forgetAll();
  return { writer, expiring, day, unmarked, release };
}

describe('expire: bitmaps that expire after their period', function () {
  this.timeout(30_000);
  let t: ReturnType<typeof testBitmapist>;
  afterEach(() => t.cleanup());

  it('gives each granularity its expiry (period end + seconds) on the first write, and unique none', async () => {
    t = testBitmapist({ expire: { hour: HOUR, day: 2 * DAY, week: 7 * DAY, month: 30 * DAY }, trackHourly: true, trackUnique: true });
    const { names } = await countCommands(t.bm.redis, () => t.bm.markEvent('login', 5, { now }));
    expect(expireCalls(names)).to.equal(4);
    const at = async (suffix: string) => t.raw.expiretime(`${t.prefix}login_${suffix}`);
    expect(await at('2031-2-20-12')).to.equal(unix('2031-02-20T13:00:00Z') + HOUR);
    expect(await at('2031-2-20')).to.equal(unix('2031-02-21T00:00:00Z') + 2 * DAY);
    // 2031-02-20 is a Thursday of ISO week 8 (Monday 2031-02-17 to Sunday 2031-02-23).
    expect(await at('W2031-8')).to.equal(unix('2031-02-24T00:00:00Z') + 7 * DAY);
    expect(await at('2031-2')).to.equal(unix('2031-03-01T00:00:00Z') + 30 * DAY);
    expect(await at('u')).to.equal(-1);
  });

  it('sends EXPIREAT once per key per process; NX keeps the first expiry when another process writes', async () => {
    t = testBitmapist({ expire: { day: DAY, month: 0 } });
    const first = await countCommands(t.bm.redis, async () => {
      await Promise.all([t.bm.markEvent('a', 1, { now }), t.bm.markEvent('a', 2, { now }), t.bm.unmarkEvent('a', 3, { now })]);
    });
    expect(expireCalls(first.names)).to.equal(2);
    const again = await countCommands(t.bm.redis, async () => {
      await t.bm.markEvent('a', 4, { now });
      await t.bm.markEvent('a', 5, { now: new Date('2031-02-20T23:59:59Z') });
    });
    expect(expireCalls(again.names)).to.equal(0);
    const day = `${t.prefix}a_2031-2-20`;
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
    // Another process with another retention: its EXPIREAT NX leaves the expiry set first.
    const other = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, expire: { day: 5 * DAY } });
    const theirs = await countCommands(t.raw, () => other.markEvent('a', 6, { now }));
    expect(expireCalls(theirs.names)).to.equal(1);
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
    expect(await t.raw.expiretime(`${t.prefix}a_W2031-8`)).to.equal(-1);
    expect(await t.raw.expiretime(`${t.prefix}a_2031-2`)).to.equal(unix('2031-03-01T00:00:00Z'));
    expect(await t.bm.day('a', now).ids()).to.deep.equal([1, 2, 4, 5, 6]);
  });

  it('bulk imports give each key written its expiry once, in both layouts', async () => {
    t = testBitmapist({ expire: { day: DAY } });
    const marks = [0, 1, 2].flatMap((d) => [10, 300, 700].map((uid) => ({ event: 'bulk', uid, now: new Date(now.getTime() + d * DAY * 1000) })));
    const compat = await countCommands(t.bm.redis, () => t.bm.markEvents(marks));
    expect(compat.result).to.equal(9);
    expect(expireCalls(compat.names)).to.equal(3);
    expect(await t.raw.expiretime(`${t.prefix}bulk_2031-2-22`)).to.equal(unix('2031-02-24T00:00:00Z'));
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}s_`, layout: 'sharded', shardBits: 8, expire: { day: DAY } });
    const generated = function* () {
      yield* marks;
    };
    const split = await countCommands(t.raw, () => sharded.markEvents(generated()));
    expect(split.result).to.equal(9);
    // Blocks 0, 1 and 2 (uids 10, 300, 700) on 3 days.
    expect(expireCalls(split.names)).to.equal(9);
    expect(await t.raw.expiretime(`${t.prefix}s_{2}bulk_2031-2-21`)).to.equal(unix('2031-02-23T00:00:00Z'));
    expect(await t.raw.expiretime(`${t.prefix}s_{2}bulk_2031-2`)).to.equal(-1);
  });

  it('a period beyond retention reads as empty (its bitmap expired at once)', async () => {
    t = testBitmapist({ expire: { day: DAY } });
    const old = new Date('2020-05-01T10:00:00Z');
    await t.bm.markEvent('old', 1, { now: old });
    expect(await t.bm.day('old', old).ids()).to.deep.equal([]);
    expect(await t.bm.month('old', old).ids()).to.deep.equal([1]);
    expect(beyondRetention(t.bm.expire, 'day', old, new Date())).to.equal(true);
    expect(beyondRetention(t.bm.expire, 'month', old, new Date())).to.equal(false);
    expect(beyondRetention(t.bm.expire, 'day', new Date('2020-05-01T10:00:00Z'), new Date('2020-05-02T23:59:59Z'))).to.equal(false);
    expect(beyondRetention(t.bm.expire, 'day', new Date('2020-05-01T10:00:00Z'), new Date('2020-05-03T00:00:00Z'))).to.equal(true);
    expect(expiresAt('week', new Date('2021-01-03T12:00:00Z'), 0)).to.equal(unix('2021-01-04T00:00:00Z'));
  });

  it('a back-fill beyond retention expires at once however often it is written (mark, unmark, bulk import)', async () => {
    t = testBitmapist({ expire: { day: DAY } });
    const old = new Date('2020-05-01T10:00:00Z');
    const day = `${t.prefix}old_2020-5-1`;
    for (const write of [
      () => t.bm.markEvent('old', 1, { now: old }),
      () => t.bm.markEvent('old', 2, { now: old }),
      () => t.bm.markEvents([{ event: 'old', uid: 3, now: old }]),
      () => t.bm.unmarkEvent('old', 1, { now: old }),
      () => t.bm.markEvent('old', 4, { now: old }),
    ]) {
      await write();
      expect(await t.raw.exists(day)).to.equal(0);
    }
    expect(await t.bm.month('old', old).ids()).to.deep.equal([2, 3, 4]);
  });

  it('a bulk import gives the bitmaps of every local hour their expiry, in a zone offset by a half hour', async () => {
    t = testBitmapist({ expire: { hour: HOUR, day: DAY, month: 30 * DAY }, trackHourly: true, timezone: 'Asia/Kolkata' });
    // 18:10Z and 18:40Z are one UTC hour but two Kolkata days (23:40 on the 31st, 00:10 on February 1).
    await t.bm.markEvents([
      { event: 'k', uid: 1, now: new Date('2031-01-31T18:10:00Z') },
      { event: 'k', uid: 1, now: new Date('2031-01-31T18:40:00Z') },
    ]);
    for (const suffix of ['2031-1', '2031-1-31', '2031-1-31-23', '2031-2', '2031-2-1', '2031-2-1-0']) {
      expect(await t.raw.expiretime(`${t.prefix}k_${suffix}`), suffix).to.be.above(0);
    }
  });

  it('an unmark that writes nothing (a mapped id never marked) leaves the next mark to give the expiry', async () => {
    t = testBitmapist();
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, expire: { day: DAY }, userIds: 'mapped' });
    await bm.unmarkEvent('a', 'never-seen', { now });
    expect(await t.keys()).to.not.include(`${t.prefix}a_2031-2-20`);
    await bm.markEvent('a', 'alice', { now });
    expect(await t.raw.expiretime(`${t.prefix}a_2031-2-20`)).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('a mark whose bitmap was created while an earlier EXPIREAT of it was on its way still gives it its expiry', async () => {
    // The race: an unmark that wrote nothing sends EXPIREAT (the key is missing: reply 0); before that reply comes
    // back, a mark of another user creates the key and asks for its expiry. The first reply must not leave the
    // key without one. The replies of the first EXPIREAT are held back here until the mark has asked.
    t = testBitmapist();
    const { writer, firstSent, release } = writerHoldingFirstReply(t);
    const expiring = writer.keysOf('a', 0, now, false);
    const day = `${t.prefix}a_2031-2-20`;
    const unmarked = writer.afterWrite(expiring, false);
    await firstSent;
    expect(await t.raw.exists(day)).to.equal(0);
    await t.raw.setbit(day, 7, 1);
    const marked = writer.afterWrite(expiring, true);
    release();
    await Promise.all([unmarked, marked]);
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('a mark written before deleteAllEvents deleted its bitmap, whose expiry is asked for after, does not stand for the bitmap written again', async () => {
    t = testBitmapist();
    const writer = new ExpiryWriter(t.raw as never, new Bitmapist({ redis: t.raw, keyPrefix: t.prefix }).keys, { day: DAY });
    const expiring = writer.keysOf('a', 0, now, false);
    const day = `${t.prefix}a_2031-2-20`;
    // The first mark is written; deleteAllEvents deletes its bitmap (and forgets what it knew) before the mark's
    // expiry is asked for, on a missing key; a second mark writes the bitmap again.
    const since = writer.epoch;
    await t.raw.setbit(day, 1, 1);
    writer.forgetAll();
    await t.raw.del(day);
    writer.forgetAll();
    await writer.afterWrite(expiring, true, since);
    await t.raw.setbit(day, 2, 1);
    await writer.afterWrite(expiring, true, writer.epoch);
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('an unmark\'s EXPIREAT that took before deleteAllEvents deleted the bitmap does not stand for the bitmap written again', async () => {
    t = testBitmapist();
    const { writer, expiring, day, unmarked, release } = await unmarkHeldAcrossDeletion(t);
    release();
    await unmarked;
    await t.raw.setbit(day, 2, 1);
    await writer.afterWrite(expiring, true, writer.epoch);
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('a first-seen mapped id marked while another id is forgotten still gives its bitmaps their expiry (sharded layout)', async () => {
    t = testBitmapist();
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped', expire: { day: DAY } });
    await bm.markEvent('a', 'someone', { now });
    bm.idMap!.invalidate('someone');
    await Promise.all([bm.idMap!.forget('someone'), bm.markEvent('b', 'first-seen', { now })]);
    const block = bm.keys.locate((await bm.idMap!.lookup('first-seen'))!).block;
    expect(await t.raw.expiretime(bm.keys.eventKey('b', '2031-2-20', block))).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('a mark does not count on an unmark\'s EXPIREAT that took before deleteAllEvents deleted the bitmap it wrote again', async () => {
    t = testBitmapist();
    const { writer, expiring, day, unmarked, release } = await unmarkHeldAcrossDeletion(t);
    const since = writer.epoch;
    await t.raw.setbit(day, 2, 1);
    const marked = writer.afterWrite(expiring, true, since);
    release();
    await Promise.all([unmarked, marked]);
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('sends one EXPIREAT per key when a call lists a key twice, marks and unmarks alike', async () => {
    t = testBitmapist();
    const writer = new ExpiryWriter(t.raw as never, new Bitmapist({ redis: t.raw, keyPrefix: t.prefix }).keys, { day: DAY });
    const twice = [...writer.keysOf('a', 0, now, false), ...writer.keysOf('a', 0, new Date('2031-02-20T13:00:00Z'), false)];
    expect(twice.map(({ key }) => key)).to.deep.equal([`${t.prefix}a_2031-2-20`, `${t.prefix}a_2031-2-20`]);
    await t.raw.setbit(`${t.prefix}a_2031-2-20`, 1, 1);
    const unmarks = await countCommands(t.raw, () => writer.afterWrite(twice, false));
    writer.forgetAll();
    const marks = await countCommands(t.raw, () => writer.afterWrite(twice, true));
    expect([expireCalls(unmarks.names), expireCalls(marks.names)]).to.deep.equal([1, 1]);
  });

  it('a bitmap written again after deleteAllEvents gets its expiry again', async () => {
    t = testBitmapist({ expire: { day: DAY } });
    const day = `${t.prefix}a_2031-2-20`;
    await t.bm.markEvent('a', 1, { now });
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
    await t.bm.deleteAllEvents();
    await t.bm.markEvent('a', 2, { now });
    expect(await t.raw.expiretime(day)).to.equal(unix('2031-02-22T00:00:00Z'));
  });

  it('without `expire` sends no EXPIRE command at all and keys never expire', async () => {
    t = testBitmapist({ trackHourly: true, trackUnique: true });
    const before = await expireCommandsServed(t.raw);
    const { names } = await countCommands(t.bm.redis, async () => {
      await t.bm.markEvent('plain', 1, { now });
      await t.bm.unmarkEvent('plain', 2, { now });
      await t.bm.markEvents([{ event: 'plain', uid: 3, now }]);
    });
    expect(names.filter((name) => name.includes('expire'))).to.deep.equal([]);
    expect(await expireCommandsServed(t.raw)).to.equal(before);
    expect(t.bm.expire).to.equal(undefined);
    for (const key of await t.keys()) expect(await t.raw.ttl(key), key).to.equal(-1);
  });

  it('refuses a bad expire option', () => {
    for (const expire of ['90d', null, [1], { unique: 5 }, { year: 5 }, { day: -1 }, { day: 1.5 }, { day: '5' }, { hour: 2 ** 40 }]) {
      expect(() => new Bitmapist({ redis: 'redis://127.0.0.1:1', expire: expire as never }), JSON.stringify(expire)).to.throw(BitmapistArgumentError);
    }
    t = testBitmapist({ expire: {} });
    expect(t.bm.expire).to.equal(undefined);
  });

  it('mapped ids: each bitmap of the id\'s block gets its expiry once (sharded layout)', async () => {
    t = testBitmapist();
    const bm = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8, userIds: 'mapped', expire: { week: 0 } });
    const { names } = await countCommands(t.raw, async () => {
      await bm.markEvent('m', 'first-id', { now });
      await bm.markEvent('m', 'second-id', { now });
      await bm.markEvents([{ event: 'm', uid: 'third-id', now }]);
    });
    // The first integers share block 0: one week bitmap, one EXPIREAT.
    expect(expireCalls(names)).to.equal(1);
    expect(await t.raw.expiretime(`${t.prefix}{0}m_W2031-8`)).to.equal(unix('2031-02-24T00:00:00Z'));
    expect(await t.raw.expiretime(`${t.prefix}{0}m_2031-2-20`)).to.equal(-1);
    expect(await bm.week('m', now).count()).to.equal(3);
  });
});

