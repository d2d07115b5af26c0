import { expect } from 'chai';
import { Bitmapist } from '../../src/index.js';
import { countCommands } from '../support/model.js';
import { testBitmapist } from '../support/redis.js';

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
});
