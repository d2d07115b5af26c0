import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { compileExpression, type Expression } from '../../../src/engine/query/expression.js';
import { testBitmapist } from '../../support/redis.js';

type Reply = [Buffer, number, Buffer?, number?, Buffer?];

const expression: fc.Arbitrary<Expression> = fc.letrec<{ node: Expression }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('leaf' as const), event: fc.constantFrom('a', 'b', 'c', 'd', 'none'), suffix: fc.constant('u') }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const, 'xor' as const), operands: fc.array(tie('node'), { maxLength: 6 }) }),
  ),
})).node;

describe('evaluate: an expression paused after every step answers as one call', () => {
  let t: ReturnType<typeof testBitmapist>;
  before(async () => {
    t = testBitmapist();
    // Lengths differ a lot, so that steps pad their operands.
    for (const [event, bytes] of [['a', 3000], ['b', 40], ['c', 1500], ['d', 0]] as const) {
      await t.raw.set(`${t.prefix}${event}_u`, bytes > 0 ? randomBytes(bytes) : '');
    }
  });
  after(() => t.cleanup());

  /** Runs the script to the end with `budget`, resuming as it asks; counts the calls. */
  async function run(compiled: ReturnType<typeof compileExpression>, output: string, budget: number, bit = 0) {
    const scratch = t.bm.keys.scratchKeys(compiled.depth);
    const keys = [...compiled.keys, ...scratch];
    let state: [number, string, number] = [1, '', -1];
    for (let calls = 1; ; calls++) {
      const args = [compiled.keys.length, output, bit, 60_000, state[2], budget, state[0], state[1], ...compiled.program];
      const [status, value, ref, universe, bytes] = (await t.bm.redis.bitmapistEvaluateBuffer(keys.length, ...keys, ...args)) as unknown as Reply;
      if (status.toString() === 'done') {
        const result = bytes ?? (ref?.toString() === 'S' ? ((await t.raw.getBuffer(scratch[0]!)) ?? undefined) : undefined);
        if (ref?.toString() === 'S') await t.raw.unlink(scratch[0]!);
        return { value, ref: ref?.toString(), universe, result, calls };
      }
      state = [value, ref!.toString(), universe!];
    }
  }

  it('for random expressions over bitmaps of different lengths', async () => {
    await fc.assert(
      fc.asyncProperty(expression, fc.integer({ min: 0, max: 30_000 }), async (tree, uid) => {
        const compiled = compileExpression(tree, (event, suffix) => `${t.prefix}${event}_${suffix}`);
        const whole = await run(compiled, 'bitmap', 0);
        const stepped = await run(compiled, 'bitmap', 0.001);
        expect(stepped.value).to.equal(whole.value);
        expect(stepped.ref === 'F').to.equal(whole.ref === 'F');
        expect(stepped.result?.toString('hex') ?? '').to.equal(whole.result?.toString('hex') ?? '');
        expect((await run(compiled, 'count', 0.001)).value).to.equal(whole.value);
        expect((await run(compiled, 'has', 0, uid)).value).to.equal(await hasByBitmap(whole, uid));
      }),
      { numRuns: 150, seed: 4 },
    );
    expect(await t.keys()).to.have.length(4);
  });
});

async function hasByBitmap(answer: { ref?: string; universe?: number; result?: Buffer }, uid: number): Promise<number> {
  if (answer.ref === 'F') return uid < (answer.universe ?? 0) * 8 ? 1 : 0;
  const byte = answer.result?.[uid >> 3] ?? 0;
  return (byte >> (7 - (uid & 7))) & 1;
}
