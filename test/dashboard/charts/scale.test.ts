import { expect } from 'chai';
import { chartColour, seriesColour, tickIndexes } from '../../../src/dashboard/charts/scale.js';

describe('dashboard charts: the tick rule and series colours', () => {
  it('labels every position when all fit', () => {
    expect(tickIndexes(5, 8)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(tickIndexes(12, 12)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(tickIndexes(2, 2)).to.deep.equal([0, 1]);
  });

  it('thins out evenly from the first, keeps the last, and never labels one too close to it', () => {
    // 12 weeks of retention curves: Week 10 and Week 11 never both.
    expect(tickIndexes(12, 8)).to.deep.equal([0, 2, 4, 6, 8, 11]);
    expect(tickIndexes(12, 4)).to.deep.equal([0, 3, 6, 11]);
    expect(tickIndexes(30, 8)).to.deep.equal([0, 4, 8, 12, 16, 20, 24, 29]);
    expect(tickIndexes(30, 3)).to.deep.equal([0, 10, 29]);
    expect(tickIndexes(31, 4)).to.deep.equal([0, 8, 16, 30]);
  });

  it('keeps only the last when one label fits, and nothing for no positions', () => {
    expect(tickIndexes(10, 1)).to.deep.equal([9]);
    expect(tickIndexes(10, 0)).to.deep.equal([9]);
    expect(tickIndexes(1, 5)).to.deep.equal([0]);
    expect(tickIndexes(0, 5)).to.deep.equal([]);
  });

  it('holds for every count and budget: at most the budget, the most that fit it, a step apart, the last always', () => {
    for (let count = 1; count <= 120; count++) {
      for (let max = 1; max <= 16; max++) {
        const ticks = tickIndexes(count, max);
        const at = `count ${count}, at most ${max}: ${ticks.join(',')}`;
        expect(ticks.length, at).to.be.within(1, max);
        expect(ticks.at(-1), at).to.equal(count - 1);
        if (max >= 2 && count >= 2) expect(ticks[0], at).to.equal(0);
        const gaps = ticks.slice(1).map((tick, i) => tick - ticks[i]!);
        // The step (with a single gap, the last gap stands for it).
        const step = gaps[0] ?? count;
        // Evenly spaced but the last gap, which is at least a step and less than two.
        expect(gaps.slice(0, -1).every((gap) => gap === step), at).to.equal(true);
        if (gaps.length > 0) expect(gaps.at(-1), at).to.be.within(step, 2 * step - 1);
        // The smallest such step: one less would draw more than the budget.
        if (step > 1 && gaps.length >= 2) expect(Math.floor((count - 1) / (step - 1)) + 1, at).to.be.above(max);
      }
    }
  });

  it('gives a series its own colour when it is a plain CSS colour, else the palette colour of its place', () => {
    for (const colour of ['#2563eb', '#abc', '#11223344', 'rebeccapurple', 'rgb(1, 2, 3)', 'hsl(201 72% 40%)', 'rgba(0,0,0,.5)']) {
      expect(seriesColour(colour, 3), colour).to.equal(colour);
    }
    for (const colour of [undefined, '', 'red;background:url(x)', 'url(#a)', '#12345', 'var(--x)', 'red"', 'expression(1)']) {
      expect(seriesColour(colour, 3), String(colour)).to.equal(chartColour(3));
    }
  });
});
