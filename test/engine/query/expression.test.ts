import { expect } from 'chai';
import { compileExpression, hasNot, leavesOf, MAX_STEP_OPERANDS, wholeWhenEmpty, type Expression } from '../../../src/engine/query/expression.js';

const leaf = (event: string): Expression => ({ kind: 'leaf', event, suffix: 'u' });

describe('compileExpression', () => {
  it('emits postfix with each distinct key once and the deepest stack', () => {
    const expression: Expression = {
      kind: 'and',
      operands: [leaf('a'), { kind: 'or', operands: [leaf('b'), leaf('a')] }, { kind: 'not', operand: leaf('c') }],
    };
    const compiled = compileExpression(expression, (event, suffix) => `${event}_${suffix}`);
    expect(compiled.keys).to.deep.equal(['a_u', 'b_u', 'c_u']);
    expect(compiled.program).to.deep.equal(['k1', 'k2', 'k1', '|2', 'k3', '!', '&3']);
    expect(compiled.depth).to.equal(3);
    expect(leavesOf(expression).map((l) => l.event)).to.deep.equal(['a', 'b', 'a', 'c']);
  });

  it('compiles a lone bitmap to a single push', () => {
    expect(compileExpression(leaf('x'), (e) => e)).to.deep.equal({ keys: ['x'], program: ['k1'], depth: 1 });
  });

  it('splits an operation of more than MAX_STEP_OPERANDS operands into a tree of small steps', () => {
    expect(MAX_STEP_OPERANDS).to.equal(4);
    const twelve: Expression = { kind: 'or', operands: Array.from({ length: 12 }, (_, i) => leaf(`m${i + 1}`)) };
    const compiled = compileExpression(twelve, (event) => event);
    expect(compiled.program.join(' ')).to.equal('k1 k2 k3 |3 k4 k5 k6 |3 k7 k8 k9 |3 k10 k11 k12 |3 |4');
    expect(compiled.depth).to.equal(6);
    const five = compileExpression({ kind: 'and', operands: Array.from({ length: 5 }, (_, i) => leaf(`e${i}`)) }, (event) => event);
    expect(five.program.join(' ')).to.equal('k1 k2 &2 k3 k4 &2 k5 &3');
  });

  it('compiles an operation of no operands (a year not begun) to one push', () => {
    expect(compileExpression({ kind: 'or', operands: [] }, (e) => e)).to.deep.equal({ keys: [], program: ['|0'], depth: 1 });
  });

  it('tells whether an expression has a NOT, and its value when every bitmap is empty', () => {
    const notA: Expression = { kind: 'not', operand: leaf('a') };
    expect(hasNot(leaf('a'))).to.equal(false);
    expect(hasNot({ kind: 'and', operands: [leaf('a'), notA] })).to.equal(true);
    expect(wholeWhenEmpty(notA)).to.equal(true);
    expect(wholeWhenEmpty({ kind: 'and', operands: [leaf('a'), notA] })).to.equal(false);
    expect(wholeWhenEmpty({ kind: 'or', operands: [leaf('a'), notA] })).to.equal(true);
    expect(wholeWhenEmpty({ kind: 'xor', operands: [notA, notA] })).to.equal(false);
    expect(wholeWhenEmpty({ kind: 'xor', operands: [notA, notA, notA] })).to.equal(true);
    expect(wholeWhenEmpty({ kind: 'or', operands: [] })).to.equal(false);
  });
});
