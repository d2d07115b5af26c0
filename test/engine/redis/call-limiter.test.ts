import { getEventListeners } from 'node:events';
import { expect } from 'chai';
import { CallLimiter } from '../../../src/engine/redis/call-limiter.js';

/** A call that runs until released. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { call: () => done, release };
}

describe('CallLimiter: calls with a signal', () => {
  it('waiting calls of one signal share one abort listener and all leave the queue on its abort, at once', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const limiter = new CallLimiter(1);
      const running = held();
      const first = limiter.run(running.call);
      const page = new AbortController();
      const ran: number[] = [];
      const queued = Array.from({ length: 40 }, (_, i) => limiter.run(async () => void ran.push(i), page.signal).then(() => 'ran', (e: unknown) => e));
      expect(getEventListeners(page.signal, 'abort')).to.have.length(1);
      const reason = new Error('left');
      page.abort(reason);
      // Out of the queue while the first call still holds the only place.
      expect(new Set(await Promise.all(queued))).to.deep.equal(new Set([reason]));
      expect(getEventListeners(page.signal, 'abort')).to.have.length(0);
      running.release();
      await first;
      // The place is free: the next call runs at once, and a signal already aborted sends nothing.
      expect(await limiter.run(async () => 'next')).to.equal('next');
      expect(await limiter.run(async () => 'sent', page.signal).catch((e: unknown) => e)).to.equal(reason);
      expect(ran).to.deep.equal([]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a waiting call that gets its place before the abort runs, and its listener goes with the last of its signal', async () => {
    const limiter = new CallLimiter(1);
    const running = held();
    const first = limiter.run(running.call);
    const page = new AbortController();
    const second = limiter.run(async () => 'second', page.signal);
    const third = limiter.run(async () => 'third', page.signal);
    running.release();
    await first;
    expect([await second, await third]).to.deep.equal(['second', 'third']);
    expect(getEventListeners(page.signal, 'abort')).to.have.length(0);
    page.abort();
    expect(await limiter.run(async () => 'after')).to.equal('after');
  });
});
