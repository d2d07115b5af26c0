import { expect } from 'chai';
import { Bitmapist, BitmapistKeyTypeError, BitmapistRegistryError } from '../../../src/index.js';
import { runScript } from '../../../src/engine/redis/scripts.js';
import { countCommands } from '../../support/model.js';
import { testBitmapist } from '../../support/redis.js';

/** What a promise settled with: 'ok' or its error. */
const outcome = (promise: Promise<unknown>) => promise.then(() => 'ok' as const, (error: unknown) => error as Error);

/** Script calls (EVALSHA, or EVAL after a NOSCRIPT) among recorded command names. */
const scriptCalls = (names: string[]) => names.filter((name) => name === 'evalsha' || name === 'eval').length;

describe('sharded layout on one server: one script call for a batch over any blocks', () => {
  let t: ReturnType<typeof testBitmapist>;
  let sharded: Bitmapist;
  const now = new Date('2025-02-20T12:00:00Z');
  const registry = () => `${t.prefix}~blocks`;
  beforeEach(async () => {
    t = testBitmapist();
    sharded = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout: 'sharded', shardBits: 8 });
    await t.raw.ping();
  });
  afterEach(() => t.cleanup());

  it("writes a tick's marks over ten blocks in one script call, which registers the blocks too", async () => {
    const uids = Array.from({ length: 64 }, (_, i) => (i % 10) * 256 + i);
    const { names } = await countCommands(t.raw, () => Promise.all(uids.map((uid) => sharded.markEvent('e', uid, { now }))));
    expect(names).to.deep.equal(['evalsha']);
    expect(await sharded.day('e', now).ids()).to.deep.equal([...uids].sort((a, b) => a - b));
    expect((await t.raw.smembers(registry())).map(Number).sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('writes a lone mark and an unmark in one script call each, registering their blocks', async () => {
    const { names } = await countCommands(t.raw, async () => {
      await sharded.markEvent('e', 300, { now });
      await sharded.unmarkEvent('e', 2000, { now });
    });
    expect(names).to.deep.equal(['evalsha', 'evalsha']);
    expect((await t.raw.smembers(registry())).sort()).to.deep.equal(['1', '7']);
    expect(await sharded.day('e', now).ids()).to.deep.equal([300]);
  });

  it('bulk import: one script call per 500 marks, whatever their blocks', async () => {
    const marks = Array.from({ length: 1200 }, (_, i) => ({ event: 'bulk', uid: (i % 12) * 256 + Math.floor(i / 12), now }));
    const { result, names } = await countCommands(t.raw, () => sharded.markEvents(marks));
    expect(result).to.equal(1200);
    expect(scriptCalls(names)).to.equal(3);
    expect(names).to.not.include('sadd');
    expect(await sharded.day('bulk', now).count()).to.equal(1200);
    expect((await t.raw.smembers(registry())).length).to.equal(12);
  });

  it('a refused mark leaves the others of its call written, in its block and in the others', async () => {
    await t.raw.hset(`${t.prefix}{1}poisoned_2025-2-20`, 'f', 'v');
    const marks = [[300, 'poisoned'], [301, 'healthy'], [5, 'poisoned'], [900, 'healthy']] as const;
    const { result, names } = await countCommands(t.raw, () => Promise.all(marks.map(([uid, event]) => outcome(sharded.markEvent(event, uid, { now })))));
    expect(names).to.deep.equal(['evalsha']);
    expect(result.map((r) => (r === 'ok' ? 'ok' : r.name))).to.deep.equal(['BitmapistKeyTypeError', 'ok', 'ok', 'ok']);
    expect((result[0] as BitmapistKeyTypeError).key).to.equal(`${t.prefix}{1}poisoned_2025-2-20`);
    expect(await sharded.week('poisoned', now).ids()).to.deep.equal([5]);
    expect(await sharded.week('healthy', now).ids()).to.deep.equal([301, 900]);
    expect(await t.raw.exists(`${t.prefix}{1}poisoned_2025-2`, `${t.prefix}{1}poisoned_W2025-8`)).to.equal(0);
  });

  it('a registry of another type: the bits are written, and each mark rejects with a BitmapistRegistryError', async () => {
    await t.raw.set(registry(), 'a foreign string');
    const results = await Promise.all([5, 300, 900].map((uid) => outcome(sharded.markEvent('e', uid, { now }))));
    for (const error of results) {
      expect(error).to.be.instanceOf(BitmapistRegistryError);
      expect((error as Error).message).to.equal(
        `the block registry ${JSON.stringify(registry())} refused blocks 0, 1, 3: WRONGTYPE Operation against a key holding the wrong kind of value`,
      );
      expect(((error as Error).cause as Error).message).to.match(/^WRONGTYPE/);
      expect(((error as Error).cause as Error).name).to.equal('ReplyError');
    }
    expect(await t.raw.get(registry())).to.equal('a foreign string');
    for (const [block, bit] of [[0, 5], [1, 44], [3, 132]]) expect(await t.raw.getbit(`${t.prefix}{${block}}e_2025-2-20`, bit!)).to.equal(1);
  });

  describe('the mark_many script with a registry', () => {
    const call = (keys: string[], ...args: (string | number)[]) => runScript(t.raw.bitmapistMarkMany(keys.length, ...keys, ...args));
    const day = (block: number) => `${t.prefix}{${block}}e_2025-2-20`;

    it('adds the blocks after the marks; a registry of another type is named in the reply, the marks written', async () => {
      expect(await call([day(0), day(4), registry()], 1, 255, 2, '1', '5,6', '2', '7', 'blocks', '0,4')).to.deep.equal([3]);
      expect((await t.raw.smembers(registry())).sort()).to.deep.equal(['0', '4']);
      await t.raw.unlink(registry());
      await t.raw.rpush(registry(), 'x');
      const reply = await call([day(2), registry()], 1, 255, 1, '1', '9', 'blocks', '2');
      expect(reply.slice(0, 3)).to.deep.equal([1, 0, 2]);
      expect(String(reply[3])).to.match(/^WRONGTYPE/);
      expect(await t.raw.getbit(day(2), 9)).to.equal(1);
    });

    it('refuses a malformed block list before its first write', async () => {
      for (const args of [
        [1, 255, 1, '1', '5', 'blocks', ''],
        [1, 255, 1, '1', '5', 'blocks', '1,x'],
        [1, 255, 1, '1', '5', 'blocks', '01'],
        [1, 255, 1, '1', '5', 'blocks'],
        [1, 255, 1, '2', '5', 'blocks', '0'], // the registry is not a bitmap of a group
        [1, 255, 1, '1', '5', 'other', '0'],
      ]) {
        const error = await outcome(call([day(0), registry()], ...args));
        expect(error, JSON.stringify(args)).to.have.property('name', 'BitmapistArgumentError');
      }
      expect(await t.keys()).to.deep.equal([]);
    });
  });
});
