import { expect } from 'chai';
import { MarkBatcher, type LingerTimers, type PendingMark } from '../../../src/engine/marking/batcher.js';

/** Timers that run only when the test says so: what is due, and when. */
class ManualClock implements LingerTimers {
  now = 0;
  private timers = new Map<number, { at: number; run: () => void }>();
  private immediates: (() => void)[] = [];
  private nextId = 1;

  setTimeout(run: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  setImmediate(run: () => void): void {
    this.immediates.push(run);
  }

  /** Runs the immediates due (and those they schedule), after the microtasks queued so far. */
  async turn(): Promise<void> {
    await settle();
    while (this.immediates.length > 0) {
      for (const run of this.immediates.splice(0)) run();
      await settle();
    }
  }

  /** Moves the clock by `ms`, running each timer that falls due, then the immediates. */
  async advance(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, timer] of [...this.timers].sort(([, a], [, b]) => a.at - b.at)) {
      if (timer.at > this.now) continue;
      this.timers.delete(id);
      timer.run();
    }
    await this.turn();
  }

  get pendingTimers(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.now);
  }
}

/** Lets every queued promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const mark = (uid: number, block = 0): PendingMark => ({ keys: [`k${block}`], uid, block });

/** A writer whose calls stay in flight until the test answers them. */
function heldWriter() {
  const calls: { bit: 0 | 1; uids: number[]; answer: () => void }[] = [];
  const write = (bit: 0 | 1, marks: PendingMark[]) => {
    let answer!: () => void;
    const done = new Promise<void>((resolve) => (answer = resolve));
    calls.push({ bit, uids: marks.map((m) => m.uid), answer });
    return marks.map(() => done);
  };
  return { calls, write };
}

describe('MarkBatcher', () => {
  it('without a linger, writes the marks of one tick as one batch, in issue order, split where the bit changes', async () => {
    const { calls, write } = heldWriter();
    const batcher = new MarkBatcher(write, 3);
    for (const uid of [1, 2, 3, 4]) void batcher.add(1, mark(uid));
    void batcher.add(0, mark(5));
    void batcher.add(1, mark(6));
    await settle();
    expect(calls.map(({ bit, uids }) => [bit, uids])).to.deep.equal([[1, [1, 2, 3]], [1, [4]], [0, [5]], [1, [6]]]);
  });

  describe('with a linger (a Cluster: at most 2 ms, while two batches are in flight)', () => {
    let clock: ManualClock;
    let writer: ReturnType<typeof heldWriter>;
    let batcher: MarkBatcher;
    beforeEach(() => {
      clock = new ManualClock();
      writer = heldWriter();
      batcher = new MarkBatcher(writer.write, 4, { maxMs: 2, maxInFlight: 2, timers: clock });
    });
    const sent = () => writer.calls.map((c) => c.uids);

    /** Two batches in flight: the next marks have to wait. */
    async function twoInFlight(): Promise<void> {
      void batcher.add(1, mark(1));
      await clock.turn();
      void batcher.add(1, mark(2, 1));
      await clock.turn();
      expect(sent()).to.deep.equal([[1], [2]]);
    }

    it('sends a lone mark at the next turn of the event loop, without waiting for the linger', async () => {
      const written = batcher.add(1, mark(7));
      await clock.turn();
      expect(sent()).to.deep.equal([[7]]);
      expect(clock.pendingTimers).to.deep.equal([]);
      writer.calls[0]!.answer();
      await written;
    });

    it('sends the marks of one turn of the event loop together, over every block', async () => {
      for (const [uid, block] of [[1, 0], [2, 5], [3, 9]] as const) void batcher.add(1, mark(uid, block));
      await clock.turn();
      expect(sent()).to.deep.equal([[1, 2, 3]]);
    });

    it('holds marks while two batches are in flight, and sends them together as soon as one is answered', async () => {
      await twoInFlight();
      void batcher.add(1, mark(3, 2));
      await clock.turn();
      void batcher.add(1, mark(4, 1));
      await clock.turn();
      expect(sent()).to.deep.equal([[1], [2]]);
      writer.calls[1]!.answer();
      await clock.turn();
      expect(sent()).to.deep.equal([[1], [2], [3, 4]]);
      expect(clock.pendingTimers).to.deep.equal([]);
    });

    it('waits at most maxMs for the batches in flight (a dead master): then sends what it holds', async () => {
      await twoInFlight();
      const held = batcher.add(1, mark(3, 1));
      await clock.turn();
      expect(clock.pendingTimers).to.deep.equal([2]);
      await clock.advance(1);
      expect(sent()).to.deep.equal([[1], [2]]);
      void batcher.add(1, mark(4, 2));
      await clock.advance(1);
      expect(sent()).to.deep.equal([[1], [2], [3, 4]]);
      writer.calls[2]!.answer();
      await held; // answered while the first two batches are still in flight
    });

    it('sends a full batch at once, even with batches in flight', async () => {
      await twoInFlight();
      for (const uid of [3, 4, 5, 6]) void batcher.add(1, mark(uid));
      await clock.turn();
      expect(sent()).to.deep.equal([[1], [2], [3, 4, 5, 6]]);
      expect(clock.pendingTimers).to.deep.equal([]);
    });

    it('keeps the order of marks and unmarks it holds', async () => {
      await twoInFlight();
      void batcher.add(0, mark(1));
      void batcher.add(1, mark(1));
      await clock.advance(2);
      expect(writer.calls.map(({ bit, uids }) => [bit, uids])).to.deep.equal([[1, [1]], [1, [2]], [0, [1]], [1, [1]]]);
    });

    it('settles each mark with its own call', async () => {
      const write = (_bit: 0 | 1, marks: PendingMark[]) =>
        marks.map((m) => (m.block === 1 ? Promise.reject(new Error('block 1 refused')) : Promise.resolve()));
      const failing = new MarkBatcher(write, 4, { maxMs: 2, maxInFlight: 2, timers: clock });
      const results = [failing.add(1, mark(1, 0)), failing.add(1, mark(2, 1))].map((p) => p.then(() => 'ok', (e: Error) => e.message));
      await clock.turn();
      expect(await Promise.all(results)).to.deep.equal(['ok', 'block 1 refused']);
    });
  });
});
