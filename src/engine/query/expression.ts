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

/**
 * The most operands one compiled AND / OR / XOR takes: wider ones become a tree of such steps, so that one step
 * (padding its operands, then one BITOP) stays small enough for a script call's time budget.
 */
export const MAX_STEP_OPERANDS = 4;

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
      default: {
        const { operands } = node;
        if (operands.length > MAX_STEP_OPERANDS) {
          const size = Math.ceil(operands.length / MAX_STEP_OPERANDS);
          const groups = Array.from({ length: Math.ceil(operands.length / size) }, (_, i) => operands.slice(i * size, (i + 1) * size));
          visit({ kind: node.kind, operands: groups.map((group) => (group.length === 1 ? group[0]! : { kind: node.kind, operands: group })) });
          return;
        }
        for (const operand of operands) visit(operand);
        program.push(`${OP_TOKENS[node.kind]}${operands.length}`);
        depth -= operands.length;
        push();
      }
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

/** Whether an expression takes a complement anywhere (its answer then depends on NOT's universe). */
export function hasNot(expression: Expression): boolean {
  switch (expression.kind) {
    case 'leaf':
      return false;
    case 'not':
      return true;
    default:
      return expression.operands.some(hasNot);
  }
}

/**
 * The value of an expression where every bitmap is empty, inside NOT's universe: true when it is every id
 * (e.g. `a.not()`), false when it is none. A block without bitmaps is answered this way, without Redis.
 */
export function wholeWhenEmpty(expression: Expression): boolean {
  switch (expression.kind) {
    case 'leaf':
      return false;
    case 'not':
      return !wholeWhenEmpty(expression.operand);
    case 'and':
      return expression.operands.every(wholeWhenEmpty);
    case 'or':
      return expression.operands.some(wholeWhenEmpty);
    case 'xor':
      return expression.operands.filter(wholeWhenEmpty).length % 2 === 1;
  }
}
