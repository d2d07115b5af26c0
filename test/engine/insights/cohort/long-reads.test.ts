import { expect } from 'chai';
import { LongReads } from '../../../../src/engine/insights/cohort/long-reads.js';

describe('LongReads (the reads a cohort need not ask for again)', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000;
  });

  it('knows a key list for ttlMs after it was added, and only that list', () => {
    const reads = new LongReads(60_000, 8, now);
    reads.add(['a', 'b']);
    expect([reads.has(['a', 'b']), reads.has(['a']), reads.has(['b', 'a']), reads.has(['a', 'b', 'c'])]).to.deep.equal([true, false, false, false]);
    clock += 59_999;
    expect(reads.has(['a', 'b'])).to.equal(true);
    clock += 1;
    expect(reads.has(['a', 'b'])).to.equal(false);
    // Added again, it lasts from then.
    reads.add(['a', 'b']);
    clock += 30_000;
    expect(reads.has(['a', 'b'])).to.equal(true);
  });

  it('keeps at most `capacity` lists, forgetting the oldest added first', () => {
    const reads = new LongReads(60_000, 3, now);
    for (const key of ['1', '2', '3']) reads.add([key]);
    reads.add(['1']);
    reads.add(['4']);
    expect(['1', '2', '3', '4'].map((key) => reads.has([key]))).to.deep.equal([true, false, true, true]);
  });
});
