/** One event bitmap: an event name and a key suffix (a period, or `u`). */
export interface Leaf {
  kind: 'leaf';
  event: string;
  suffix: string;
}

/** A lazy bitmap expression. Nothing is read from Redis until it is evaluated. */
export type Expression =
  | Leaf
  | { kind: 'and' | 'or' | 'xor'; operands: Expression[] }
  | { kind: 'not'; operand: Expression };

/** An expression compiled for the `evaluate` script: its distinct keys, its postfix program, its stack depth. */
export interface CompiledExpression {
  keys: string[];
  program: string[];
  depth: number;
}

const OP_TOKENS = { and: '&', or: '|', xor: '^' } as const;

/** The OR of several expressions (a single one is returned as is). */
export function anyOf(operands: Expression[]): Expression {
  return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
}

/** The AND of several expressions (a single one is returned as is). */
export function allOf(operands: Expression[]): Expression {
  return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
}

/** Compiles an expression to postfix, naming each leaf by `keyOf` and reading each distinct key once. */
export function compileExpression(
  expression: Expression,
  keyOf: (event: string, suffix: string) => string,
): CompiledExpression {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const program: string[] = [];
  let depth = 0;
  let deepest = 0;
  const push = () => {
    depth += 1;
    deepest = Math.max(deepest, depth);
  };

  const visit = (node: Expression): void => {
    switch (node.kind) {
      case 'leaf': {
        const key = keyOf(node.event, node.suffix);
        let i = index.get(key);
        if (i === undefined) {
          keys.push(key);
          i = keys.length;
          index.set(key, i);
        }
        program.push(`k${i}`);
        push();
        return;
      }
      case 'not':
        visit(node.operand);
        program.push('!');
        return;
      default:
        for (const operand of node.operands) visit(operand);
        program.push(`${OP_TOKENS[node.kind]}${node.operands.length}`);
        depth -= node.operands.length - 1;
    }
  };
  visit(expression);
  return { keys, program, depth: deepest };
}

/** Every leaf of an expression, in order. */
export function leavesOf(expression: Expression): Leaf[] {
  switch (expression.kind) {
    case 'leaf':
      return [expression];
    case 'not':
      return leavesOf(expression.operand);
    default:
      return expression.operands.flatMap(leavesOf);
  }
}
