import { expect } from 'chai';
import { periodCounts } from '../../../src/engine/insights/period-counts.js';
import { Bitmapist, BitmapistArgumentError } from '../../../src/index.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

describe('Bitmapist event names and deletion', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  const now = new Date('2025-01-15T00:00:00Z');

  it('lists event names sorted and unique, with SCAN and never KEYS', async () => {
    for (const event of ['user:signed_up', 'user:active', 'page_view', 'user:a_b']) {
      await t.bm.markEvent(event, 1, { now, trackHourly: true });
    }
    await t.bm.markUnique('only_unique', 3);
    const listed = await countCommands(t.bm.redis, () => t.bm.getEventNames());
    expect(listed.result).to.deep.equal(['only_unique', 'page_view', 'user:a_b', 'user:active', 'user:signed_up']);
    expect(listed.names).to.include('scan');
    expect(listed.names).to.not.include('keys');
    expect(await t.bm.getEventNames({ prefix: 'user:' })).to.deep.equal(['user:a_b', 'user:active', 'user:signed_up']);
    expect(await t.bm.getEventNames({ prefix: 'nothing' })).to.deep.equal([]);
  });

  it('never lists scratch keys or keys that are not event bitmaps', async () => {
    await t.bm.markEvent('real', 1, { now });
    const [scratch] = t.bm.keys.scratchKeys(1);
    await t.raw.set(scratch!, 'x');
    await t.raw.set(`${t.prefix}config`, 'x');
    await t.raw.set(`${t.prefix}thing_2025`, 'x');
    expect(await t.bm.getEventNames()).to.deep.equal(['real']);
  });

  it('treats glob characters in prefixes literally', async () => {
    const odd = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}[x]*` });
    await odd.markEvent('a*', 1, { now });
    await t.bm.markEvent('zzz', 1, { now }); // under t.prefix, not under the odd prefix
    expect(await odd.getEventNames()).to.deep.equal(['a*']);
    expect(await odd.getEventNames({ prefix: 'a*' })).to.deep.equal(['a*']);
    expect(await odd.getEventNames({ prefix: 'a?' })).to.deep.equal([]);
  });

  it('deletes every bitmap of its prefix and nothing else', async () => {
    const other = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}other_` });
    await t.bm.markEvent('a', 1, { now, trackHourly: true, trackUnique: true });
    await t.bm.markEvent('b', 2, { now });
    await other.markEvent('a', 1, { now });
    await t.raw.set(`${t.prefix}config`, 'keep me');
    const [scratch] = t.bm.keys.scratchKeys(1);
    await t.raw.set(scratch!, 'stray');
    const deleted = await t.bm.deleteAllEvents();
    expect(deleted).to.equal(5 + 3 + 3 + 1);
    expect(await t.bm.getEventNames()).to.deep.equal([]);
    // 'other_a_...' keys look like events named 'other_a' under t.prefix: they were bitmaps of this prefix too.
    expect(await t.keys()).to.deep.equal([`${t.prefix}config`]);
  });

  it('refuses to delete with an empty keyPrefix, and deletes nothing', async () => {
    await t.bm.markEvent('a', 1, { now });
    await t.raw.set('bmtest_foreign_2025-1', 'not ours');
    const unprefixed = new Bitmapist({ redis: t.raw, keyPrefix: '' });
    const error = await unprefixed.deleteAllEvents().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(BitmapistArgumentError);
    expect((error as BitmapistArgumentError).argument).to.equal('keyPrefix');
    expect(await t.raw.get('bmtest_foreign_2025-1')).to.equal('not ours');
    expect(await t.keys()).to.have.length(3);
    await t.raw.unlink('bmtest_foreign_2025-1');
  });

  it('never deletes (nor lists) a key that is not a string, however bitmap-like its name', async () => {
    await t.bm.markEvent('a', 1, { now });
    await t.raw.hset(`${t.prefix}settings_2025-1`, 'f', 'v');
    await t.raw.sadd(`${t.prefix}members_W2025-3`, 'm');
    await t.raw.rpush(`${t.prefix}queue_2025-1-15`, 'x');
    await t.raw.zadd(`${t.prefix}a_2025-2`, 1, 'z');
    expect(await t.bm.getEventNames()).to.deep.equal(['a']);
    expect(await t.bm.deleteAllEvents()).to.equal(3);
    expect(await t.keys()).to.deep.equal(
      [`${t.prefix}a_2025-2`, `${t.prefix}members_W2025-3`, `${t.prefix}queue_2025-1-15`, `${t.prefix}settings_2025-1`],
    );
  });

  it('sharded layout: deletes the block registry only when it is the set it should be', async () => {
    const sharded = new Bitmapist({ redis: t.raw, keyPrefix: `${t.prefix}s_`, layout: 'sharded', shardBits: 8 });
    await sharded.markEvent('a', 300, { now });
    expect(await sharded.deleteAllEvents()).to.equal(3 + 1); // three bitmaps and the registry
    expect(await t.raw.exists(`${t.prefix}s_~blocks`)).to.equal(0);
    await t.raw.hset(`${t.prefix}s_~blocks`, 'not', 'ours');
    expect(await sharded.deleteAllEvents()).to.equal(0);
    expect(await t.raw.hgetall(`${t.prefix}s_~blocks`)).to.deep.equal({ not: 'ours' });
  });

  it('leaves out a name no read accepts (over 512 characters, as Python bitmapist may write one)', async () => {
    await t.bm.markEvent('short', 1, { now });
    const long = 'q'.repeat(513);
    await t.raw.setbit(`${t.prefix}${long}_2025-1-31`, 1, 1);
    // Before the fix it was listed, and a caller reading every listed event was refused on it.
    const names = await t.bm.getEventNames();
    expect(names).to.deep.equal(['short']);
    expect(await periodCounts(t.bm, names, ['day'], now)).to.deep.equal([[1]]);
    await t.raw.setbit(`${t.prefix}${'q'.repeat(512)}_2025-1-31`, 1, 1);
    expect(await t.bm.getEventNames({ prefix: 'q' })).to.deep.equal(['q'.repeat(512)]);
  });

  it("leaves Python bitmapist's BitOp keys out of the event names, and deletes them with the events", async () => {
    await t.bm.markEvent('active', 1, { now });
    // As bitmapist 3.x names them: '<prefix>bitop_<OP>_' + '-'.join(the operands' keys).
    const month = `${t.prefix}active_2025-1`;
    const pythonBitOps = [
      `${t.prefix}bitop_AND_${month}-${t.prefix}active_2025-2`,
      `${t.prefix}bitop_OR_${month}`,
      `${t.prefix}bitop_NOT_${t.prefix}bitop_OR_${month}`,
    ];
    for (const key of pythonBitOps) await t.raw.bitop('OR', key, month);
    expect(await t.bm.getEventNames()).to.deep.equal(['active']);
    expect(await t.bm.getEventNames({ prefix: 'bitop' })).to.deep.equal([]);
    expect(await t.bm.deleteAllEvents()).to.equal(3 + pythonBitOps.length);
    expect(await t.keys()).to.deep.equal([]);
  });
});
