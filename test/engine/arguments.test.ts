import { expect } from 'chai';
import { BitmapistArgumentError } from '../../src/index.js';
import { keysUnder, testBitmapist } from '../support/redis.js';

/** The `argument` of the error a call rejects with (or undefined when it does not reject). */
async function refusedArgument(call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
  } catch (error) {
    expect(error).to.be.instanceOf(BitmapistArgumentError);
    return (error as BitmapistArgumentError).argument;
  }
  return undefined;
}

describe('argument names: a refused value is named as the caller named it', () => {
  let t: ReturnType<typeof testBitmapist>;
  beforeEach(() => {
    t = testBitmapist();
  });
  afterEach(() => t.cleanup());

  it('getCohort names its secondary event and its additionalEvents, not the chain it builds from them', async () => {
    const { bm } = t;
    expect(await refusedArgument(() => bm.getCohort('a', 'b\uD800'))).to.equal('secondary');
    expect(await refusedArgument(() => bm.getCohort('a', ''))).to.equal('secondary');
    expect(await refusedArgument(() => bm.getCohort('a\uD800', 'b'))).to.equal('primary');
    expect(await refusedArgument(() => bm.getCohort('a', 'b', { additionalEvents: [{ name: 'c', op: 'and' }, { name: 'x\uDC00', op: 'or' }] })))
      .to.equal('additionalEvents[1].name');
    expect(await refusedArgument(() => bm.getCohort('a', 'b', { additionalEvents: [{ name: 'c', op: 'xor' as 'and' }] })))
      .to.equal('additionalEvents[0].op');
    expect(await refusedArgument(() => bm.getCohort('a', 'b', { additionalEvents: 'c' as never }))).to.equal('additionalEvents');
    expect(await keysUnder(t.raw, t.prefix)).to.deep.equal([]);
  });

  it('chainEvents keeps naming its own parameters base and events', async () => {
    const { bm } = t;
    expect(await refusedArgument(() => bm.chainEvents('a\uD800', []).count())).to.equal('base');
    expect(await refusedArgument(() => bm.chainEvents('a', [{ name: '', op: 'and' }]).count())).to.equal('events[0].name');
  });
});
