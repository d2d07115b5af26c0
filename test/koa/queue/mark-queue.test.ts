import { expect } from 'chai';
import {
  type Bitmapist,
  BitmapistArgumentError,
  BitmapistKeyTypeError,
  BitmapistLimitError,
  BitmapistRegistryError,
  BitmapistScanError,
  BitmapistScriptError,
} from '../../../src/index.js';
import { MarkQueueOverflowError, MarksNotWrittenError } from '../../../src/koa/index.js';
import { BitmapistUnavailableError } from '../../../src/koa/errors.js';
import { HeldMarks } from '../../../src/koa/queue/held-marks.js';
import { MarkList } from '../../../src/koa/queue/mark-list.js';
import { MAX_IN_FLIGHT, MarkQueue, STALLED_WRITE_MS, type QueuedMark } from '../../../src/koa/queue/mark-queue.js';
import type { CheckedMark } from '../../../src/engine/marking/marker.js';
import { testBitmapist } from '../../support/redis.js';

/** The marks these tests queue: integer ids, with the time they were issued. */
interface TestMark extends QueuedMark {
  uid: number;
  now: Date;
}
import { isRetryable } from '../../../src/engine/redis/outage.js';

function replyError(message: string): BitmapistScriptError {
  const cause = Object.assign(new Error(message), { name: 'ReplyError' });
  return new BitmapistScriptError(message, { cause });
}

/** A writer that fails with a connection error while `down`, and records what it wrote. */
function fakeRedis() {
  const state = { down: false, written: [] as number[], refuse: new Set<number>() };
  const write = async (mark: TestMark) => {
    await Promise.resolve();
    if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    if (state.refuse.has(mark.uid)) throw replyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    state.written.push(mark.uid);
  };
  return { state, write };
}

function queueWith(write: (mark: TestMark) => Promise<unknown>, limit = 100, partition?: (mark: TestMark) => number) {
  const reports: { error: Error; origin?: object }[] = [];
  const queue = new MarkQueue<TestMark>({ name: 'default', limit, write, partition, report: (error, origin) => reports.push({ error, origin }) });
  const push = (uid: number, origin?: object) =>
    queue.push({ event: 'e', uid, now: new Date(), origin: origin && new WeakRef(origin) });
  return { queue, reports, push };
}

describe('koa: MarkList and HeldMarks', () => {
  it('MarkList: FIFO that skips items gone meanwhile and compacts once most of it is gone', () => {
    const gone = new Set<number>();
    const list = new MarkList<number>((n) => gone.has(n));
    for (let n = 1; n <= 5; n += 1) list.push(n);
    gone.add(1).add(3);
    list.noteGone();
    list.noteGone();
    expect([list.shift(), list.shift(), list.shift(), list.shift()]).to.deep.equal([2, 4, 5, undefined]);
    for (let n = 0; n < 1000; n += 1) list.push(n + 10);
    for (let n = 0; n < 900; n += 1) {
      gone.add(n + 10);
      list.noteGone();
    }
    expect(list.size).to.be.at.most(200);
    expect(list.shift()).to.equal(910);
  });

  it('HeldMarks: finds the oldest item in insertion order whatever was removed', () => {
    const held = new HeldMarks<number>();
    expect(held.oldest()).to.equal(undefined);
    for (let n = 1; n <= 4; n += 1) held.add(n);
    expect(held.oldest()).to.equal(1);
    held.delete(1);
    held.delete(3);
    expect(held.oldest()).to.equal(2);
    held.delete(2);
    held.delete(4);
    expect([held.oldest(), held.size]).to.deep.equal([undefined, 0]);
    held.add(9);
    expect(held.oldest()).to.equal(9);
    expect(held.clear()).to.deep.equal([9]);
  });
});

describe('koa: isRetryable', () => {
  it('retries connection trouble and transient replies, never refused arguments or hard replies', () => {
    expect(isRetryable(new Error('Connection is closed.'))).to.equal(true);
    expect(isRetryable(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).to.equal(true);
    expect(isRetryable(replyError('LOADING Redis is loading the dataset in memory'))).to.equal(true);
    expect(isRetryable(replyError('BUSY Redis is busy running a script'))).to.equal(true);
    expect(isRetryable(replyError('WRONGTYPE Operation against a key'))).to.equal(false);
    expect(isRetryable(new BitmapistArgumentError('uid', 'bad'))).to.equal(false);
    expect(isRetryable(new TypeError('bug'))).to.equal(false);
  });

  it('does not take a hard error reply outside a script (WRONGTYPE on the block registry) for an outage', () => {
    const wrongType = Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), { name: 'ReplyError' });
    expect(isRetryable(wrongType)).to.equal(false);
    expect(isRetryable(Object.assign(new Error('CLUSTERDOWN The cluster is down'), { name: 'ReplyError' }))).to.equal(true);
    expect(isRetryable(new BitmapistRegistryError('registry refused', { cause: wrongType }))).to.equal(false);
    expect(isRetryable(new BitmapistKeyTypeError('k', 'hash'))).to.equal(false);
    // A Cluster master that cannot be scanned is an outage (the dashboard answers 503).
    expect(isRetryable(new BitmapistScanError('cannot scan the Cluster master 127.0.0.1:7001'))).to.equal(true);
  });
});

describe('koa: MarkQueue', () => {
  it('writes every mark in order and counts them', async () => {
    const redis = fakeRedis();
    const { queue, push, reports } = queueWith(redis.write);
    for (let uid = 1; uid <= 5; uid += 1) push(uid);
    expect(queue.metrics).to.deep.equal({ queued: 5, written: 0, dropped: 0, failed: 0 });
    expect(await queue.idle(2000)).to.equal(0);
    expect(redis.state.written).to.deep.equal([1, 2, 3, 4, 5]);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 5, dropped: 0, failed: 0 });
    expect(reports).to.have.length(0);
  });

  it('keeps marks while Redis is down, drops the oldest beyond the bound, and reports each once', async () => {
    const redis = fakeRedis();
    redis.state.down = true;
    const { queue, push, reports } = queueWith(redis.write, 3);
    const request = {};
    for (let uid = 1; uid <= 7; uid += 1) push(uid, request);
    expect(queue.metrics).to.deep.equal({ queued: 3, written: 0, dropped: 4, failed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let uid = 8; uid <= 9; uid += 1) push(uid);
    expect(queue.metrics.dropped).to.equal(6);
    redis.state.down = false;
    queue.wake();
    expect(await queue.idle(3000)).to.equal(0);
    expect(redis.state.written).to.deep.equal([7, 8, 9]);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 3, dropped: 6, failed: 0 });
    expect(reports.map((r) => r.error.constructor)).to.deep.equal([MarkQueueOverflowError, BitmapistUnavailableError]);
    expect(reports[0]!.origin).to.equal(request);
  });

  it('writes the marks of a refused batch one by one and gives up only the refused one', async () => {
    const redis = fakeRedis();
    redis.state.refuse.add(13);
    const { queue, push, reports } = queueWith(redis.write);
    const request = {};
    push(12);
    push(13, request);
    push(14);
    await queue.idle(2000);
    expect(redis.state.written).to.deep.equal([12, 14]);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 2, dropped: 0, failed: 1 });
    expect(reports).to.have.length(1);
    expect(reports[0]!.error).to.be.instanceOf(MarksNotWrittenError);
    expect(reports[0]!.error.message).to.contain('"e" of user 13');
    expect(reports[0]!.origin).to.equal(request);
  });

  for (const [refusal, refuse] of [
    ['a key of the wrong type', () => new BitmapistKeyTypeError('k', 'hash')],
    ['a new mapped id past the cap', () => new BitmapistLimitError('the id map is full')],
  ] as const) {
    it(`gives up a mark refused for ${refusal} at once, without stalling the others`, async () => {
      const written: number[] = [];
      const sent: number[] = [];
      const write = async (mark: TestMark) => {
        sent.push(mark.uid);
        await Promise.resolve();
        if (mark.uid % 10 === 3) throw refuse();
        written.push(mark.uid);
      };
      const { queue, push, reports } = queueWith(write);
      const request = {};
      for (let uid = 1; uid <= 20; uid += 1) push(uid, uid === 13 ? request : undefined);
      expect(await queue.idle(2000)).to.equal(0);
      expect(sent).to.have.length(20); // each mark sent once: no one-by-one retry
      expect(written).to.have.length(18);
      expect(queue.metrics).to.deep.equal({ queued: 0, written: 18, dropped: 0, failed: 2 });
      expect(reports.map((r) => r.error.constructor)).to.deep.equal([MarksNotWrittenError, MarksNotWrittenError]);
      expect(reports[1]!.error.cause).to.be.instanceOf(refuse().constructor);
      expect(reports[1]!.origin).to.equal(request);
    });
  }

  it('counts marks whose block registration was refused as written and reports the registry once', async () => {
    let registryBroken = true;
    const write = async () => {
      await Promise.resolve();
      if (registryBroken) throw new BitmapistRegistryError('registry refused');
    };
    const { queue, push, reports } = queueWith(write);
    for (let uid = 1; uid <= 5; uid += 1) push(uid);
    expect(await queue.idle(2000)).to.equal(0);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 5, dropped: 0, failed: 0 });
    expect(reports.map((r) => r.error.constructor)).to.deep.equal([BitmapistRegistryError]);
    registryBroken = false;
    push(6);
    expect(await queue.idle(2000)).to.equal(0);
    registryBroken = true;
    push(7);
    expect(await queue.idle(2000)).to.equal(0);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 7, dropped: 0, failed: 0 });
    expect(reports).to.have.length(2);
  });

  it('retries transient replies such as LOADING', async () => {
    let attempts = 0;
    const { queue, push } = queueWith(async () => {
      attempts += 1;
      if (attempts < 3) throw replyError('LOADING Redis is loading the dataset in memory');
    });
    push(1);
    expect(await queue.idle(3000)).to.equal(0);
    expect(attempts).to.equal(3);
    expect(queue.metrics.written).to.equal(1);
  });

  it('close() gives up after its timeout the marks not sent (counted failed), and refuses later marks once', async () => {
    // Redis down: the first sends fail with a connection error, the probe that follows never answers.
    let calls = 0;
    let probed!: () => void;
    const probeSent = new Promise<void>((resolve) => (probed = resolve));
    const { queue, push, reports } = queueWith(async () => {
      calls += 1;
      await Promise.resolve();
      if (calls <= 3) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      probed();
      return new Promise(() => undefined);
    });
    push(1);
    push(2);
    push(3);
    await probeSent;
    // One mark is being written (the probe), two wait: those two are given up.
    expect(await queue.close(0)).to.equal(2);
    push(4);
    push(5);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 4 });
    expect(reports.map((r) => r.error.constructor)).to.include(MarksNotWrittenError);
    expect(reports.at(-1)!.error.message).to.contain('marks issued after close() are not written');
  });

  it('close() then settleAfterClose(): a write sent before the timeout counts as written if Redis takes it, else failed', async () => {
    const settle: ((ok: boolean) => void)[] = [];
    const { queue, push, reports } = queueWith(
      () => new Promise<void>((resolve, reject) => settle.push((ok) => (ok ? resolve() : reject(new Error('Connection is closed.'))))),
    );
    push(1);
    push(2);
    push(3);
    while (settle.length < 3) await new Promise((resolve) => setImmediate(resolve));
    // All three are being written: none is given up unsent.
    expect(await queue.close(0)).to.equal(0);
    settle[0]!(true);
    settle[1]!(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 1 });
    // The third never answers: counted as not written once the wait is over, and not again if it answers later.
    expect(await queue.settleAfterClose(0)).to.equal(2);
    settle[2]!(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 2 });
    expect(await queue.settleAfterClose(0)).to.equal(0);
    expect(reports).to.deep.equal([]);
  });

  it('a flush() during or after close() resolves at once, the writes still in flight being settleAfterClose\'s', async () => {
    const settle: (() => void)[] = [];
    const { queue, push } = queueWith(() => new Promise<void>((resolve) => settle.push(resolve)));
    push(1);
    while (settle.length < 1) await new Promise((resolve) => setImmediate(resolve));
    expect(await queue.close(0)).to.equal(0);
    expect(await queue.idle()).to.equal(0);
    settle[0]!();
    expect(await queue.settleAfterClose(1000)).to.equal(0);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 0 });
  });

  it('a flush() still waiting when close() gives up resolves then, with the marks not written; a wait of 2^31 ms or more waits as long as needed', async () => {
    const { queue, push } = queueWith(() => new Promise(() => undefined));
    push(1);
    const flushed = queue.idle();
    const long = queue.idle(2 ** 31);
    // A timer of 2^31 ms would fire at once: the long wait is still pending a turn later.
    let early = false;
    void long.then(() => (early = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(early).to.equal(false);
    await queue.close(0);
    // The mark still being written (its write never settles) is not written: not 0.
    expect(await flushed).to.equal(1);
    expect(await long).to.equal(1);
  });

  it('holds back only the partition whose writes fail, probing it with one mark at a time', async () => {
    const down = new Set([1]);
    const written: number[] = [];
    const attempts = [0, 0];
    const { queue, push, reports } = queueWith(
      async (mark) => {
        await Promise.resolve();
        attempts[mark.uid % 2]! += 1;
        if (down.has(mark.uid % 2)) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
        written.push(mark.uid);
      },
      1000,
      (mark) => mark.uid % 2,
    );
    for (let uid = 1; uid <= 100; uid += 1) push(uid);
    await until(() => written.length === 50);
    for (let uid = 101; uid <= 200; uid += 1) push(uid);
    await until(() => written.length === 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written.every((uid) => uid % 2 === 0)).to.equal(true);
    // The first 50 odd marks were sent before the partition was known to be down; since then, only probes.
    expect(attempts[1]).to.be.within(51, 60);
    expect(queue.metrics).to.deep.equal({ queued: 100, written: 100, dropped: 0, failed: 0 });
    down.clear();
    queue.wake();
    expect(await queue.idle(3000)).to.equal(0);
    expect(written.toSorted((a, b) => a - b)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 200, dropped: 0, failed: 0 });
    expect(reports.map((r) => r.error.constructor)).to.deep.equal([BitmapistUnavailableError]);
  });

  it('files a failed mark under the partition its write found (a mapped id located, or located anew), not the one it was queued in', async () => {
    // Where each mark's bits are, as the queue asks: UNLOCATED (a negative partition) until its write located it.
    const UNLOCATED = -1;
    const where = new Map<number, number>([[1, 0]]);
    const located = new Map<number, number>([[1, 1], [3, 1]]);
    const down = new Set([1]);
    let mapDown = false;
    const written: number[] = [];
    const attempts: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const { queue, push } = queueWith(
      async (mark) => {
        attempts.push(mark.uid);
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          await Promise.resolve();
          if (mapDown) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
          where.set(mark.uid, located.get(mark.uid) ?? 0);
          if (down.has(where.get(mark.uid)!)) throw new Error('connect ECONNREFUSED 127.0.0.1:2');
          written.push(mark.uid);
        } finally {
          inFlight -= 1;
        }
      },
      100,
      (mark) => where.get(mark.uid) ?? 0,
    );
    // Queued in partition 0, written to partition 1 (down): partition 0 stays up, and its next mark goes out at
    // once, not after a probe of partition 0 by mark 1.
    push(1);
    await until(() => where.get(1) === 1);
    push(2);
    await until(() => written.includes(2));
    expect(attempts).to.deep.equal([1, 2]);
    // Unlocated marks fail before they are located (the id map is away). The probe that locates one (mark 3) in
    // partition 1 (down) shows the map is back: the other unlocated marks go out together, not one probe at a
    // time, and are written.
    mapDown = true;
    for (let uid = 3; uid <= 24; uid += 1) {
      where.set(uid, UNLOCATED);
      push(uid);
    }
    await until(() => attempts.filter((uid) => uid >= 3).length === 22);
    await new Promise((resolve) => setImmediate(resolve));
    mapDown = false;
    mostInFlight = 0;
    queue.wake();
    await until(() => written.length === 22);
    expect(written.slice(0, 2)).to.deep.equal([2, 4]);
    expect(mostInFlight).to.be.within(21, 22);
    down.clear();
    queue.wake();
    expect(await queue.idle(3000)).to.equal(0);
    expect(written.toSorted((a, b) => a - b)).to.deep.equal(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 24, dropped: 0, failed: 0 });
  });

  it('never holds more than its limit: drops the oldest even while it is being written, counting it once that write fails', async () => {
    const calls = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
    const { queue, push, reports } = queueWith((mark) => new Promise((resolve, reject) => calls.set(mark.uid, { resolve: () => resolve(undefined), reject })), 3);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    push(1);
    await tick();
    expect([...calls.keys()]).to.deep.equal([1]);
    for (const uid of [2, 3, 4]) push(uid);
    expect(queue.metrics).to.deep.equal({ queued: 3, written: 0, dropped: 0, failed: 0 });
    await tick();
    expect([...calls.keys()]).to.deep.equal([1, 2, 3, 4]);
    calls.get(1)!.reject(new Error('Connection is closed.'));
    await tick();
    expect(queue.metrics).to.deep.equal({ queued: 3, written: 0, dropped: 1, failed: 0 });
    push(5);
    // 2 is dropped while being written, but its write succeeds: it counts as written, not dropped.
    calls.get(2)!.resolve();
    for (const uid of [3, 4]) calls.get(uid)!.resolve();
    await tick();
    await tick();
    calls.get(5)!.resolve();
    expect(await queue.idle(1000)).to.equal(0);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 4, dropped: 1, failed: 0 });
    expect(reports.map((r) => r.error.constructor)).to.deep.equal([MarkQueueOverflowError, BitmapistUnavailableError]);
  });

  describe('settleMarks (the plugin\'s forgetUser and exportUser)', () => {
    /**
     * A queue whose writes each wait for the test to settle them (`calls` holds each uid's last write), each uid a
     * partition of its own.
     */
    function heldWrites() {
      const calls = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
      const sent: number[] = [];
      const q = queueWith((mark) => {
        sent.push(mark.uid);
        return new Promise((resolve, reject) => calls.set(mark.uid, { resolve: () => resolve(undefined), reject }));
      }, 100, (mark) => mark.uid);
      return { ...q, calls, sent };
    }
    const tick = () => new Promise((resolve) => setImmediate(resolve));

    it('waits only for the marks it matches that were held when it was called', async () => {
      const { queue, push, calls } = heldWrites();
      push(1);
      push(2);
      await tick();
      let settled: number | undefined;
      const settling = queue.settleMarks((mark) => mark.uid === 2, Number.POSITIVE_INFINITY).then((left) => (settled = left));
      // A mark of the same user queued later, and another user's mark still being written, are not waited for.
      push(2);
      calls.get(2)!.resolve();
      await settling;
      expect(settled).to.equal(0);
      expect(queue.metrics).to.deep.include({ queued: 2, written: 1 });
      calls.get(1)!.resolve();
      await tick();
      calls.get(2)!.resolve();
      expect(await queue.idle(1000)).to.equal(0);
    });

    it('with drop, gives up what is still held after the wait: a mark waiting at once, one being written once its write settles, never sent again', async () => {
      const { queue, push, calls, sent } = heldWrites();
      push(7);
      await tick();
      // 7's write fails with a connection error: it waits for its partition's probe.
      calls.get(7)!.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
      await until(() => queue.metrics.queued === 1 && sent.length === 1);
      expect(await queue.settleMarks((mark) => mark.uid === 7, 0, 0)).to.equal(0);
      expect(queue.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 1, failed: 0 });

      // Being written when the wait ends: abandoned, waited for; a failed write drops it, a written one counts.
      for (const [uid, outcome] of [[8, 'fails'], [9, 'written']] as const) {
        push(uid);
        await until(() => calls.has(uid));
        const settling = queue.settleMarks((mark) => mark.uid === uid, 0, Number.POSITIVE_INFINITY);
        await until(() => queue.metrics.queued === 0);
        if (outcome === 'fails') calls.get(uid)!.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
        else calls.get(uid)!.resolve();
        expect(await settling).to.equal(0);
      }
      queue.wake();
      await tick();
      await tick();
      expect(sent).to.deep.equal([7, 8, 9]);
      expect(queue.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 2, failed: 0 });
    });

    /** A queue holding uid 7's mark, waiting for its partition's probe after a failed write. */
    async function waitingMark() {
      const q = heldWrites();
      q.push(7);
      await until(() => q.calls.has(7));
      q.calls.get(7)!.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
      await until(() => q.queue.metrics.queued === 1 && q.calls.size === 1);
      await tick();
      return q;
    }

    it('counts a mark once when several calls give it up, and tells every waiting call it left', async () => {
      const { queue } = await waitingMark();
      // An export waits for it (no drop); two forgets give it up.
      const exporting = queue.settleMarks((mark) => mark.uid === 7, Number.POSITIVE_INFINITY);
      const forgets = [queue.settleMarks((mark) => mark.uid === 7, 0, 0), queue.settleMarks((mark) => mark.uid === 7, 0, 0)];
      expect(await Promise.all(forgets)).to.deep.equal([0, 0]);
      expect(await exporting).to.equal(0);
      expect(queue.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 1, failed: 0 });

      // Being written: abandoned once, whichever call gave it up; counted once when its write settles.
      const { queue: other, push, calls } = heldWrites();
      push(8);
      await until(() => calls.has(8));
      const both = [other.settleMarks((mark) => mark.uid === 8, 0, Number.POSITIVE_INFINITY), other.settleMarks((mark) => mark.uid === 8, 0, Number.POSITIVE_INFINITY)];
      await until(() => other.metrics.queued === 0);
      calls.get(8)!.resolve();
      expect(await Promise.all(both)).to.deep.equal([0, 0]);
      expect(other.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 0 });
      expect(await other.close(0)).to.equal(0);
      expect(await other.settleAfterClose(0)).to.equal(0);
      expect(other.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 0 });
    });

    it('ends its wait when close() gives the marks up, counting each once (as close() does: failed)', async () => {
      const { queue } = await waitingMark();
      const settling = queue.settleMarks((mark) => mark.uid === 7, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
      expect(await queue.close(0)).to.equal(1);
      expect(await settling).to.equal(1);
      expect(queue.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 1 });
    });
  });
});

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('koa: MarkQueue, writes that go unanswered (stalled)', function () {
  this.timeout(20_000);

  it('takes an answer that waited in the socket while the event loop was blocked for an answer, not a stall', async () => {
    const t = testBitmapist();
    try {
      await t.bm.markEvent('warm', 1); // connected, scripts loaded
      const { queue, reports } = queueOfChecked(t.bm, (written) => {
        // Once the write is on the socket (the engine sends it from a microtask queued before this one), block
        // the loop longer than STALLED_WRITE_MS, as a long synchronous handler or GC pause would: Redis answers
        // meanwhile, and the answer waits unread in the socket.
        queueMicrotask(() => {
          const until = Date.now() + STALLED_WRITE_MS + 500;
          while (Date.now() < until);
        });
        return written;
      });
      queue.push({ event: 'e', uid: 7, checked: t.bm.prepareMark('e', 7) });
      expect(await queue.idle(5_000)).to.equal(0);
      // Before the fix the stall check ran before the socket was read: a false outage, reported to the app.
      expect(reports.map((r) => r.error.message)).to.deep.equal([]);
      expect(queue.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it('never has more than twice MAX_IN_FLIGHT writes in flight, however many partitions stall', async () => {
    let sent = 0;
    // A Redis that never answers (frozen, no command timeout), and a partition per mark (sparse ids, many blocks).
    const { queue, push } = queueWith(() => {
      sent += 1;
      return new Promise(() => undefined);
    }, 10_000, (mark) => mark.uid);
    let uid = 0;
    const feed = setInterval(() => {
      for (let i = 0; i < 1_000; i++) push(uid++);
    }, 100);
    try {
      // Before the fix each stalled write gave its place back: 2,000 more writes went out every second.
      await new Promise((resolve) => setTimeout(resolve, 3 * STALLED_WRITE_MS + 700));
      expect(sent).to.equal(2 * MAX_IN_FLIGHT);
    } finally {
      clearInterval(feed);
      await queue.close(0);
    }
  });
});

describe('koa: MarkQueue, a suspect behind many stalled writes', function () {
  this.timeout(20_000);

  it('still goes alone and lets the other partitions write when more than MAX_IN_FLIGHT writes are stalled', async () => {
    const silent = 1_000_000;
    const refused = 2_000_000;
    // Partitions below `silent` never answer (a frozen master, no command timeout); `refused` is refused in the
    // script call it shared (so it is sent again alone); the others are written.
    const { queue, push } = queueWith((mark) => {
      if (mark.uid < silent) return new Promise(() => undefined);
      if (mark.uid >= refused) return Promise.reject(replyError('WRONGTYPE Operation against a key holding the wrong kind of value'));
      return Promise.resolve();
    }, 10_000, (mark) => (mark.uid < silent ? mark.uid : mark.uid >= refused ? -2 : -3));
    try {
      for (let uid = 0; uid < MAX_IN_FLIGHT; uid++) push(uid);
      await until(() => queue.metrics.queued === MAX_IN_FLIGHT, 5_000);
      await new Promise((resolve) => setTimeout(resolve, STALLED_WRITE_MS + 200));
      for (let uid = MAX_IN_FLIGHT; uid < MAX_IN_FLIGHT + 500; uid++) push(uid);
      await new Promise((resolve) => setTimeout(resolve, STALLED_WRITE_MS + 200)); // 2,500 stalled
      push(refused);
      for (let i = 0; i < 10; i++) push(silent + i);
      // Before the fix the suspect waited for every write in flight beyond the 2,000 stalled ones to be answered,
      // and every other mark waited behind it, as long as the silent partitions stayed silent.
      await until(() => queue.metrics.written === 10 && queue.metrics.failed === 1, 5_000);
    } finally {
      await queue.close(0);
    }
  });
});

/** A queue writing checked marks through `bm`, each write passed through `around` as it is sent. */
function queueOfChecked(bm: Bitmapist, around: (written: Promise<void>) => Promise<void>) {
  const reports: { error: Error; origin?: object }[] = [];
  const queue = new MarkQueue<QueuedMark & { checked: CheckedMark }>({
    name: 'default',
    limit: 100,
    write: (mark) => around(bm.writeMark(mark.checked)),
    partition: (mark) => bm.partitionOfMark(mark.checked),
    report: (error, origin) => reports.push({ error, origin }),
  });
  return { queue, reports };
}
