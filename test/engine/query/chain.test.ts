import { expect } from 'chai';
import { BitmapistArgumentError } from '../../../src/index.js';
import { chainGroups, type ChainedEvent } from '../../../src/engine/query/chain.js';

describe('chainGroups', () => {
  it('binds OR to its predecessor, then ANDs left to right', () => {
    // A && B || C && D  ==  A && (B || C) && D
    expect(chainGroups('A', [{ name: 'B', op: 'and' }, { name: 'C', op: 'or' }, { name: 'D', op: 'and' }])).to.deep.equal([
      ['A'], ['B', 'C'], ['D'],
    ]);
    // [or X, and Y]  ==  (A || X) && Y
    expect(chainGroups('A', [{ name: 'X', op: 'or' }, { name: 'Y', op: 'and' }])).to.deep.equal([['A', 'X'], ['Y']]);
    // runs of ORs merge; a trailing OR joins the last group
    expect(chainGroups('A', [{ name: 'B', op: 'or' }, { name: 'C', op: 'or' }, { name: 'D', op: 'and' }, { name: 'E', op: 'or' }]))
      .to.deep.equal([['A', 'B', 'C'], ['D', 'E']]);
    expect(chainGroups('A')).to.deep.equal([['A']]);
  });

  it('never modifies the list it is given', () => {
    const events: ChainedEvent[] = [{ name: 'X', op: 'or' }, { name: 'Y', op: 'and' }];
    const copy = structuredClone(events);
    chainGroups('A', events);
    chainGroups('A', events);
    expect(events).to.deep.equal(copy);
  });

  it('refuses bad chains', () => {
    expect(() => chainGroups('', [])).to.throw(BitmapistArgumentError, /base/);
    expect(() => chainGroups('A', [{ name: 'B', op: 'xor' as 'and' }])).to.throw(BitmapistArgumentError, /op/);
    expect(() => chainGroups('A', [{ name: '', op: 'and' }])).to.throw(BitmapistArgumentError, /events\[0\]\.name/);
    expect(() => chainGroups('A', [null as unknown as ChainedEvent])).to.throw(BitmapistArgumentError);
    expect(() => chainGroups('A', 'B' as unknown as ChainedEvent[])).to.throw(BitmapistArgumentError);
  });
});
