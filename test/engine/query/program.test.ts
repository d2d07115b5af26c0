import { expect } from 'chai';
import { BitmapistArgumentError, ShardedKeyNames, type Bitmapist } from '../../../src/index.js';
import { RedisBlockRegistry, SINGLE_BLOCK } from '../../../src/engine/keys/blocks.js';
import { CallLimiter } from '../../../src/engine/redis/call-limiter.js';
import { runScript } from '../../../src/engine/redis/scripts.js';
import type { Leaf } from '../../../src/engine/query/expression.js';
import { BitmapProgram, type Operand, type Register } from '../../../src/engine/query/program.js';
import { DEFAULT_PROGRAM_LIMITS, ProgramRunner } from '../../../src/engine/query/program-runner.js';
import { prng } from '../../support/model.js';
import { programCalls } from '../../support/programs.js';
import { commandCalls, keysUnder, testBitmapist } from '../../support/redis.js';

const SHARD_BITS = 12;

/** A leaf's users, written with SETBIT at their offsets (its bitmap ends at its highest user's byte). */
type Leaves = Map<string, Set<number>>;

/**
 * What `lua/run_program.lua` computes, on sets of ids: per block, the window is the whole bitmaps without a
 * population; with one, the byte range of the population's users (first set byte to the end of the longest of
 * its bitmaps), widened to the whole bitmaps when over half as wide as the longest bitmap the program reads.
 * A load keeps a leaf's users in the window, NOT is the complement within it.
 */
function modelRun(program: BitmapProgram, leaves: Leaves, population: readonly string[] | undefined, blockSize: number): number[] {
  const sums = new Array<number>(program.slots).fill(0);
  const all = [...leaves.values()].flatMap((set) => [...set]);
  const blocks = new Set(all.map((id) => Math.floor(id / blockSize)));
  const leafNames = program.leaves.map((leaf) => leaf.event);
  for (const block of blocks) {
    const local = (name: string) => [...(leaves.get(name) ?? [])].filter((id) => Math.floor(id / blockSize) === block).map((id) => id - block * blockSize);
    const length = (name: string) => Math.max(0, ...local(name).map((id) => (id >> 3) + 1));
    const longest = Math.max(0, ...leafNames.map(length));
    let lo: number;
    let hi: number;
    if (population === undefined) {
      [lo, hi] = [0, longest - 1];
      if (hi < 0) continue;
    } else {
      const users = population.flatMap(local);
      if (users.length === 0) continue;
      lo = Math.min(...users) >> 3;
      hi = Math.max(...population.map(length)) - 1;
      if ((hi - lo + 1) * 2 > longest) [lo, hi] = [0, Math.max(longest - 1, hi)];
    }
    const inWindow = (id: number) => id >> 3 >= lo && id >> 3 <= hi;
    const universe = new Set<number>();
    for (let id = lo * 8; id < (hi + 1) * 8; id++) universe.add(id);
    const registers = new Map<number, Set<number>>();
    const leafUsers = (k: number) => new Set(local(leafNames[k - 1]!).filter(inWindow));
    // A register, or a bitmap written -k.
    const get = (x: number) => (x < 0 ? leafUsers(-x) : registers.get(x) ?? new Set<number>());
    const counts: number[] = [];
    for (let pc = 0; pc < program.instructions.length; pc++) {
      const [op, ...a] = program.instructions[pc]! as [string, ...number[]];
      switch (op) {
        case 'L': registers.set(a[0]!, leafUsers(a[1]!)); break;
        case 'Z': registers.set(a[0]!, new Set()); break;
        case '&': registers.set(a[0]!, new Set([...get(a[1]!)].filter((id) => get(a[2]!).has(id)))); break;
        case '|': registers.set(a[0]!, new Set([...get(a[1]!), ...get(a[2]!)])); break;
        case '^': {
          const [x, y] = [get(a[1]!), get(a[2]!)];
          registers.set(a[0]!, new Set([...[...x].filter((id) => !y.has(id)), ...[...y].filter((id) => !x.has(id))]));
          break;
        }
        case '-': registers.set(a[0]!, new Set([...get(a[1]!)].filter((id) => !get(a[2]!).has(id)))); break;
        case '!': registers.set(a[0]!, new Set([...universe].filter((id) => !get(a[1]!).has(id)))); break;
        case 'O': registers.set(a[0]!, new Set(a.slice(2).flatMap((x) => [...get(x)]))); break;
        case '#': counts.push(get(a[0]!).size); break;
        case 'K': counts.push(leafUsers(a[0]!).size); break;
        case '?':
          if (get(a[0]!).size === 0) {
            for (let s = pc + 1; s <= pc + a[1]!; s++) if (['#', 'K'].includes(String(program.instructions[s]![0]))) counts.push(0);
            pc += a[1]!;
          }
          break;
        default: throw new Error(`unknown ${op}`);
      }
    }
    counts.forEach((count, i) => (sums[program.counts[i]!] = sums[program.counts[i]!]! + count));
  }
  return sums;
}

/** A random program over `names`: every instruction kind, counts after most steps, skips around some. */
function randomProgram(random: () => number, names: readonly string[], size: number): BitmapProgram {
  const p = new BitmapProgram();
  const registers = Array.from({ length: 4 }, () => p.register());
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  // An operand: a register, or a bitmap read where it is (or copied by the script when it cannot be).
  const operand = (): Operand => (random() < 0.6 ? pick(registers) : p.bitmap(pick(names), 'u'));
  const step = (): void => {
    const d = pick(registers);
    const [a, b] = [operand(), operand()];
    const roll = random();
    if (roll < 0.2) p.load(d, pick(names), 'u');
    else if (roll < 0.25) p.orAll(d, Array.from({ length: 1 + Math.floor(random() * 5) }, operand));
    else if (roll < 0.35) p.and(d, a, b);
    else if (roll < 0.45) p.or(d, a, b);
    else if (roll < 0.52) p.xor(d, a, b);
    else if (roll < 0.6) p.andNot(d, a, b);
    else if (roll < 0.65) p.not(d, a);
    else if (roll < 0.68) p.zero(d);
    else if (roll < 0.75) p.countBitmap(pick(names), 'u', p.slot());
    else if (roll < 0.8) p.unlessEmpty(d, () => { step(); p.count(pick(registers), p.slot()); });
    else p.count(d, p.slot());
  };
  for (let i = 0; i < size; i++) step();
  for (const r of registers) p.count(r as Register, p.slot());
  return p;
}

/** Random users of `names`: some missing, some near the start of a block, some far into it, some sparse. */
async function writeLeaves(bm: Bitmapist, random: () => number, names: readonly string[], blocks: number): Promise<Leaves> {
  const leaves: Leaves = new Map();
  const blockSize = 2 ** SHARD_BITS;
  for (const name of names) {
    const users = new Set<number>();
    if (random() > 0.15) {
      const from = Math.floor(random() * blockSize * 0.9);
      const span = 1 + Math.floor(random() * (blockSize - from));
      const count = 1 + Math.floor(random() * 60);
      for (let i = 0; i < count; i++) users.add(Math.floor(random() * blocks) * blockSize + from + Math.floor(random() * span));
      // About as long as the longest bitmap (read in place), or much shorter (copied and padded).
      if (random() < 0.5) users.add(blocks * blockSize - 1 - Math.floor(random() * 300));
    }
    leaves.set(name, users);
    for (const uid of users) await bm.markUnique(name, uid);
  }
  return leaves;
}

describe('engine: bitmap programs (lua/run_program.lua through ProgramRunner)', function () {
  this.timeout(120_000);

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`computes random programs as the set model does, on whole bitmaps and on a population's window, in calls cut anywhere (${layout})`, async () => {
      const t = testBitmapist(layout === 'sharded' ? { layout, shardBits: SHARD_BITS } : {});
      try {
        const random = prng(layout === 'sharded' ? 31 : 17);
        const names = Array.from({ length: 6 }, (_, i) => `leaf${i}`);
        const leaves = await writeLeaves(t.bm, random, names, layout === 'sharded' ? 3 : 2);
        const registry = t.bm.keys instanceof ShardedKeyNames ? new RedisBlockRegistry(t.bm.redis, t.bm.keys) : SINGLE_BLOCK;
        const blockSize = layout === 'sharded' ? 2 ** SHARD_BITS : Number.MAX_SAFE_INTEGER;
        const before = (await keysUnder(t.raw, t.prefix)).sort();
        for (let round = 0; round < 40; round++) {
          // Some programs longer than a call's first batch of instructions (256), cut between guarded bodies.
          const program = randomProgram(random, names, round % 4 === 3 ? 300 + Math.floor(random() * 400) : 4 + Math.floor(random() * 30));
          const population = round % 2 === 0 ? undefined : names.filter(() => random() < 0.4).slice(0, 2);
          if (population !== undefined && population.length === 0) population.push(names[0]!);
          const budget = round % 3 === 0 ? 1 : DEFAULT_PROGRAM_LIMITS.callBudget;
          const runner = new ProgramRunner(t.bm.redis, t.bm.keys, registry, new CallLimiter(2), { ...DEFAULT_PROGRAM_LIMITS, callBudget: budget });
          const leavesOf = population?.map((event): Leaf => ({ kind: 'leaf', event, suffix: 'u' }));
          const what = `round ${round}: ${JSON.stringify(program.instructions)} population ${population}`;
          const { result, calls, programs } = await programCalls(t.bm.redis, () => runner.run(program, leavesOf, 'test'));
          expect(result, what).to.deep.equal(modelRun(program, leaves, population, blockSize));
          // A budget of 1 us stops a call after the instruction that used it up (tens of Redis calls are far over
          // 1 us): the next call resumes from the registers' state.
          if (budget === 1 && programs > 0 && program.instructions.length >= 10) expect(calls, what).to.be.above(programs);
          expect((await keysUnder(t.raw, t.prefix)).sort(), what).to.deep.equal(before);
        }
      } finally {
        await t.cleanup();
      }
    });
  }

  it('cuts a program into calls only between guarded bodies', () => {
    const p = new BitmapProgram();
    const r = p.register();
    for (let i = 0; i < 5; i++) p.zero(r); // 0..4
    p.unlessEmpty(r, () => { // 5: guard of 6..9
      p.zero(r);
      p.unlessEmpty(r, () => { p.zero(r); p.zero(r); }); // 7: guard of 8..9
    });
    p.zero(r); // 10
    expect([0, 3, 5, 6, 7, 8, 9, 10, 11, 99].map((end) => p.cutAt(end))).to.deep.equal([0, 3, 5, 10, 10, 10, 10, 10, 11, 11]);
  });

  it('loads a bitmap longer than a narrow window from its window, and widens a wide one to the whole bitmaps', async () => {
    const t = testBitmapist();
    try {
      // Population: users 3 and 9 (bytes 0..1); "long" reaches byte 1000.
      for (const uid of [3, 9]) await t.bm.markUnique('pop', uid);
      for (const uid of [2, 3, 9, 8000]) await t.bm.markUnique('long', uid);
      const p = new BitmapProgram();
      const [a, b] = [p.register(), p.register()];
      p.load(a, 'long', 'u');
      p.count(a, p.slot());
      p.load(b, 'pop', 'u');
      p.not(b, b);
      p.count(b, p.slot());
      p.countBitmap('long', 'u', p.slot());
      const pop: Leaf[] = [{ kind: 'leaf', event: 'pop', suffix: 'u' }];
      // Narrow: the window is bytes 0..1 (16 ids), so "long" counts 3 there and NOT pop 14.
      expect(await t.bm.runProgram(p, pop, 'test')).to.deep.equal([3, 14, 3]);
      // Wide: with users 3 and 8005 the population spans the whole bitmaps (0..1000 bytes, 8008 ids).
      await t.bm.markUnique('pop', 8005);
      expect(await t.bm.runProgram(p, pop, 'test')).to.deep.equal([4, 8008 - 3, 4]);
      // Without a population: the whole bitmaps.
      expect(await t.bm.runProgram(p, undefined, 'test')).to.deep.equal([4, 8008 - 3, 4]);
    } finally {
      await t.cleanup();
    }
  });

  it('pads what it computes from bitmaps read in place to the window, so NOT covers all of it', async () => {
    const t = testBitmapist();
    try {
      // The window is 1,000 bytes (8,000 ids); x and y end 8 bytes short of it (short enough to be read in place).
      await t.bm.markUnique('full', 7999);
      for (const uid of [1, 7930]) await t.bm.markUnique('x', uid);
      for (const uid of [2, 7931]) await t.bm.markUnique('y', uid);
      const p = new BitmapProgram();
      const [r, s] = [p.register(), p.register()];
      p.orAll(r, [p.bitmap('x', 'u'), p.bitmap('y', 'u')]);
      p.not(r, r);
      p.count(r, p.slot());
      p.and(s, p.bitmap('x', 'u'), p.bitmap('x', 'u'));
      p.not(s, s);
      p.count(s, p.slot());
      p.xor(s, p.bitmap('x', 'u'), p.bitmap('y', 'u'));
      p.not(s, s);
      p.count(s, p.slot());
      p.andNot(s, p.bitmap('x', 'u'), p.bitmap('y', 'u'));
      p.not(s, s);
      p.count(s, p.slot());
      p.not(s, p.bitmap('x', 'u'));
      p.count(s, p.slot());
      p.countBitmap('full', 'u', p.slot());
      expect(await t.bm.runProgram(p, undefined, 'test')).to.deep.equal([8000 - 4, 8000 - 2, 8000 - 4, 8000 - 2, 8000 - 2, 1]);
    } finally {
      await t.cleanup();
    }
  });

  it('ORs bitmaps of similar lengths in one BITOP where they are, however much shorter than the window', async () => {
    const t = testBitmapist();
    try {
      // The window is 10,000 bytes ("full"); the 7 days end between 4,000 and 4,006 bytes, far short of it.
      await t.bm.markUnique('full', 79_999);
      const leaves: Leaves = new Map([['full', new Set([79_999])]]);
      for (let d = 0; d < 7; d++) {
        const users = new Set([d, 100 + 3 * d, 31_999 + 8 * d]);
        leaves.set(`day${d}`, users);
        for (const uid of users) await t.bm.markUnique(`day${d}`, uid);
      }
      const p = new BitmapProgram();
      const r = p.register();
      p.countBitmap('full', 'u', p.slot());
      p.orAll(r, Array.from({ length: 7 }, (_, d) => p.bitmap(`day${d}`, 'u')));
      p.count(r, p.slot());
      p.not(r, r);
      p.count(r, p.slot());
      const [bitops, copies] = [await commandCalls(t.raw, 'bitop'), await commandCalls(t.raw, 'copy')];
      expect(await t.bm.runProgram(p, undefined, 'test')).to.deep.equal(modelRun(p, leaves, undefined, Number.MAX_SAFE_INTEGER));
      // One BITOP for the OR (the bitmaps read where they are, the result padded), one for the NOT; no copy.
      expect(await commandCalls(t.raw, 'bitop') - bitops).to.equal(2);
      expect(await commandCalls(t.raw, 'copy') - copies).to.equal(0);
    } finally {
      await t.cleanup();
    }
  });

  it('ORs many bitmaps of any lengths with registers, on whole bitmaps and on a window, as the set model does', async () => {
    const t = testBitmapist();
    try {
      const random = prng(5);
      const leaves: Leaves = new Map();
      // 24 bitmaps (over BITOP's 16 keys): half about as long as the longest, half far shorter, some missing.
      for (let k = 0; k < 24; k++) {
        const end = k % 6 === 5 ? 0 : k % 2 === 0 ? 79_000 + Math.floor(random() * 1000) : 4_000 + Math.floor(random() * 40_000);
        const users = new Set(end === 0 ? [] : [end, ...Array.from({ length: 30 }, () => Math.floor(random() * end))]);
        leaves.set(`e${k}`, users);
        for (const uid of users) await t.bm.markUnique(`e${k}`, uid);
      }
      const p = new BitmapProgram();
      const [r, s] = [p.register(), p.register()];
      const bitmap = (k: number) => p.bitmap(`e${k}`, 'u');
      p.load(s, 'e0', 'u');
      p.orAll(r, [s, ...Array.from({ length: 24 }, (_, k) => bitmap(k))]);
      p.count(r, p.slot());
      // The short ones only (several copies), then r with itself and some of them.
      p.orAll(s, Array.from({ length: 12 }, (_, i) => bitmap(2 * i + 1)));
      p.count(s, p.slot());
      p.orAll(r, [bitmap(3), r, bitmap(7), s, bitmap(11)]);
      p.not(r, r);
      p.count(r, p.slot());
      // Over 16 registers holding users (20), the one written last among them: it is read before the first
      // BITOP writes it.
      const many = Array.from({ length: 24 }, () => p.register());
      many.forEach((register, k) => p.load(register, `e${k}`, 'u'));
      p.orAll(many[22]!, [...many.filter((_, k) => k !== 22), many[22]!]);
      p.count(many[22]!, p.slot());
      for (const population of [undefined, ['e1'], ['e3', 'e9']]) {
        const leavesOf = population?.map((event): Leaf => ({ kind: 'leaf', event, suffix: 'u' }));
        expect(await t.bm.runProgram(p, leavesOf, 'test'), `${population}`).to.deep.equal(modelRun(p, leaves, population, Number.MAX_SAFE_INTEGER));
      }
    } finally {
      await t.cleanup();
    }
  });

  it('cuts an OR of hundreds of bitmaps (a segment of many days) into instructions of at most 16, so a call stops between them', async () => {
    const t = testBitmapist();
    try {
      const leaves: Leaves = new Map();
      for (let k = 0; k < 40; k++) {
        const users = new Set([k, 1_000 + 7 * k, 20_000 + k]);
        leaves.set(`d${k}`, users);
        for (const uid of users) await t.bm.markUnique(`d${k}`, uid);
      }
      const p = new BitmapProgram();
      const [r, s] = [p.register(), p.register()];
      p.load(r, 'd0', 'u');
      const bitmaps = Array.from({ length: 40 }, (_, k) => p.bitmap(`d${k}`, 'u'));
      // The target among the operands (after the first 16): read before anything writes it.
      p.orAll(r, [...bitmaps.slice(0, 20), r, ...bitmaps.slice(20)]);
      p.count(r, p.slot());
      p.orAll(s, bitmaps);
      p.count(s, p.slot());
      const ors = p.instructions.filter(([op]) => op === 'O');
      expect(ors.map((instruction) => instruction[2])).to.deep.equal([16, 16, 11, 16, 16, 10]);
      expect(ors.slice(1, 3).concat(ors.slice(4)).every((instruction) => instruction[3] === instruction[1])).to.equal(true);
      expect(ors[0]![3]).to.equal(r);
      // Whatever a call's budget, each OR instruction is one step: with a budget of 1 us the OR of 40 takes calls.
      const registry = SINGLE_BLOCK;
      const runner = new ProgramRunner(t.bm.redis, t.bm.keys, registry, new CallLimiter(2), { ...DEFAULT_PROGRAM_LIMITS, callBudget: 1 });
      const { result, calls } = await programCalls(t.bm.redis, () => runner.run(p, undefined, 'test'));
      expect(result).to.deep.equal(modelRun(p, leaves, undefined, Number.MAX_SAFE_INTEGER));
      expect(result).to.deep.equal([120, 120]);
      expect(calls).to.be.at.least(6);
    } finally {
      await t.cleanup();
    }
  });

  it('refuses a program whose registers would hold over maxBytes, naming the argument, and writes nothing', async () => {
    const t = testBitmapist();
    try {
      await t.bm.markUnique('big', 8 * 100_000);
      const p = new BitmapProgram();
      const r = p.register();
      p.load(r, 'big', 'u');
      p.count(r, p.slot());
      const before = (await keysUnder(t.raw, t.prefix)).sort();
      const runner = new ProgramRunner(t.bm.redis, t.bm.keys, SINGLE_BLOCK, new CallLimiter(2), { callBudget: 2000, maxBytes: 350_000 });
      const error = await runner.run(p, undefined, 'periods').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(BitmapistArgumentError);
      expect((error as BitmapistArgumentError).argument).to.equal('periods');
      expect((error as Error).message).to.match(/scratch bitmaps/);
      expect((await keysUnder(t.raw, t.prefix)).sort()).to.deep.equal(before);
      // Four registers (the program's and the script's three temporaries) of 100,001 bytes fit in 450,000.
      const fits = new ProgramRunner(t.bm.redis, t.bm.keys, SINGLE_BLOCK, new CallLimiter(2), { callBudget: 2000, maxBytes: 450_000 });
      expect(await fits.run(p, undefined, 'periods')).to.deep.equal([1]);
    } finally {
      await t.cleanup();
    }
  });

  it('refuses malformed instructions before its first write', async () => {
    const t = testBitmapist();
    try {
      await t.bm.markUnique('a', 1);
      const leaf = t.bm.keys.eventKey('a', 'u', 0);
      // One register for the program, three for the script.
      const registers = t.bm.keys.scratchKeys(4, 0);
      const call = (...program: (string | number)[]) =>
        runScript(t.bm.redis.bitmapistRunProgram(5, leaf, ...registers, 1, -1, 0, 60_000, 2000, 1, 2 ** 20, ...program)).catch((e: unknown) => e);
      const bad = [['Q', 1], ['L', 2, 1], ['L', 1, 2], ['&', 1, 2], ['#', 0], ['#', 2], ['K', 2], ['L', 1, 1, '#', 1.5], ['?', 1, -1],
        ['&', 1, 1, -2], ['|', 1, 0, 1], ['O', 1, 0], ['O', 1, 2, 1], ['O', 1, 2, 1, -3], ['!', 1, 2], ['-', 1, 1, 'x']];
      for (const program of bad) {
        const error = await call(...program);
        expect(error, JSON.stringify(program)).to.be.instanceOf(BitmapistArgumentError);
        expect(await t.raw.exists(...registers), JSON.stringify(program)).to.equal(0);
      }
      expect(await call('L', 1, 1, '#', 1)).to.deep.equal([3, 0, 0, 1]);
      expect(await call('O', 1, 2, -1, 1, '#', 1, '!', 1, -1, '#', 1)).to.deep.equal([5, 0, 0, 1, 7]);
      await t.raw.del(...registers);
      const header = await runScript(t.bm.redis.bitmapistRunProgram(5, leaf, ...registers, 1, -2, 0, 60_000, 2000, 1, 2 ** 20, '#', 1)).catch((e: unknown) => e);
      expect(header).to.be.instanceOf(BitmapistArgumentError);
      const tooFew = await runScript(t.bm.redis.bitmapistRunProgram(3, leaf, ...registers.slice(0, 2), 1, -1, 0, 60_000, 2000, 1, 2 ** 20, '#', 1)).catch((e: unknown) => e);
      expect(tooFew).to.be.instanceOf(BitmapistArgumentError);
    } finally {
      await t.cleanup();
    }
  });
});
