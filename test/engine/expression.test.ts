import { expect } from 'chai';
import { compileExpression, leavesOf, type Expression } from '../../src/engine/expression.js';

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
});
