import { expect } from 'chai';
import { BitmapistArgumentError, BitmapistScriptError, MarkQueueOverflowError, MarksNotWrittenError } from '../../src/index.js';
import { BitmapistUnavailableError } from '../../src/koa/errors.js';
import { MarkQueue, type QueuedMark } from '../../src/koa/mark-queue.js';
import { isRetryable } from '../../src/koa/retryable.js';
import { RingBuffer } from '../../src/koa/ring-buffer.js';

function replyError(message: string): BitmapistScriptError {
  const cause = Object.assign(new Error(message), { name: 'ReplyError' });
  return new BitmapistScriptError(message, { cause });
}

/** A writer that fails with a connection error while `down`, and records what it wrote. */
function fakeRedis() {
  const state = { down: false, written: [] as number[], refuse: new Set<number>() };
  const write = async (mark: QueuedMark) => {
    await Promise.resolve();
    if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    if (state.refuse.has(mark.uid)) throw replyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    state.written.push(mark.uid);
  };
  return { state, write };
}

function queueWith(write: (mark: QueuedMark) => Promise<unknown>, limit = 100) {
  const reports: { error: Error; origin?: object }[] = [];
  const queue = new MarkQueue({ name: 'default', limit, write, report: (error, origin) => reports.push({ error, origin }) });
  const push = (uid: number, origin?: object) =>
    queue.push({ event: 'e', uid, now: new Date(), origin: origin && new WeakRef(origin) });
  return { queue, reports, push };
}

describe('koa: RingBuffer', () => {
  it('evicts the oldest item when full and keeps FIFO order', () => {
    const ring = new RingBuffer<number>(3);
    expect([1, 2, 3, 4, 5].map((n) => ring.push(n))).to.deep.equal([false, false, false, true, true]);
    expect(ring.length).to.equal(3);
    expect(ring.shift(2)).to.deep.equal([3, 4]);
    expect(ring.shift(5)).to.deep.equal([5]);
    expect(ring.length).to.equal(0);
  });

  it('puts items back in front, evicting the oldest of them when they do not all fit', () => {
    const ring = new RingBuffer<number>(4);
    ring.push(10);
    ring.push(11);
    expect(ring.unshift([1, 2, 3])).to.equal(1);
    expect(ring.shift(10)).to.deep.equal([2, 3, 10, 11]);
    expect(ring.unshift([7, 8])).to.equal(0);
    expect(ring.clear()).to.equal(2);
    expect(ring.length).to.equal(0);
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

  it('close() gives up after its timeout, counts what it could not write, and refuses later marks once', async () => {
    const { queue, push, reports } = queueWith(() => new Promise(() => undefined));
    push(1);
    push(2);
    await new Promise((resolve) => setImmediate(resolve));
    push(3);
    expect(await queue.close(100)).to.equal(3);
    push(4);
    push(5);
    expect(queue.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 5 });
    expect(reports.map((r) => r.error.constructor)).to.deep.equal([MarksNotWrittenError]);
    expect(reports[0]!.error.message).to.contain('marks issued after close() are not written');
  });
});
