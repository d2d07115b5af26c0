import { expect } from 'chai';
import { Bitmapist } from '../../../src/index.js';
import { MarksNotWrittenError } from '../../../src/koa/index.js';
import { testApp } from '../support.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('koa: marks refused for a key of the wrong type, under load', function () {
  this.timeout(60_000);

  for (const layout of ['compatible', 'sharded'] as const) {
    it(`${layout}: gives up each poisoned mark once and drops no healthy mark (1% poisoned, queueLimit 300)`, async () => {
      const t = testApp({ disableRouter: true, queueLimit: 300, layout, shardBits: 8 });
      try {
        const now = new Date('2025-01-31T10:00:00Z');
        const engine = new Bitmapist({ redis: t.raw, keyPrefix: t.prefix, layout, shardBits: 8 });
        const dayKey = (uid: number) => engine.keys.eventKey('visit:poisoned', '2025-1-31', engine.keys.locate(uid).block);
        const healthy: number[] = [];
        const poisoned: number[] = [];
        // 4,000 marks in bursts of 100 issued in one tick each (the plugin packs a tick's marks into shared
        // script calls), one poisoned mark per burst: its day key is a hash. Each burst is written before the next
        // is issued, so the queue never holds over 100 marks, however slow Redis is (at 300 it would report an
        // overflow, even if the mark it gave up on was in flight and got written).
        for (let burst = 0; burst < 40; burst += 1) {
          for (let i = 0; i < 100; i += 1) {
            const uid = burst * 100 + i;
            if (i === 37) {
              await t.raw.hset(dayKey(uid), 'planted', 'by someone else');
              poisoned.push(uid);
              t.bitmapist.markEvent('visit:poisoned', uid, { now });
            } else {
              healthy.push(uid);
              t.bitmapist.markEvent('visit', uid, { now });
            }
          }
          expect(await t.bitmapist.flush(30_000)).to.equal(0);
        }
        expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: healthy.length, dropped: 0, failed: poisoned.length });
        // Read the bitmaps as stored, every block of ids 0..3999.
        const ids = async (event: string, suffix: string) => {
          const found: number[] = [];
          for (let block = 0; block <= engine.keys.locate(3999).block; block += 1) {
            const key = engine.keys.eventKey(event, suffix, block);
            if ((await t.raw.type(key)) !== 'string') continue;
            const bytes = (await t.raw.getBuffer(key))!;
            for (let bit = 0; bit < bytes.length * 8; bit += 1) {
              if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) found.push(engine.keys.blockBase(block) + bit);
            }
          }
          return found;
        };
        for (const suffix of ['2025-1', 'W2025-5', '2025-1-31']) expect(await ids('visit', suffix), suffix).to.deep.equal(healthy);
        for (const suffix of ['2025-1', 'W2025-5']) expect(await ids('visit:poisoned', suffix), suffix).to.deep.equal([]);
        const refused = t.errors.filter(({ error }) => error instanceof MarksNotWrittenError);
        expect(refused).to.have.length(poisoned.length);
        expect(refused.map(({ error }) => (error.cause as Error).name)).to.deep.equal(poisoned.map(() => 'BitmapistKeyTypeError'));
        expect(t.errors).to.have.length(poisoned.length);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('sharded: a registry key of the wrong type is no outage: marks settle as written and the error is reported once', async () => {
    const t = testApp({ disableRouter: true, layout: 'sharded', shardBits: 8 });
    try {
      const now = new Date('2025-01-31T10:00:00Z');
      await t.raw.set(`${t.prefix}~blocks`, 'a foreign string');
      for (let uid = 0; uid < 1000; uid += 1) t.bitmapist.markEvent('visit', uid, { now });
      await tick();
      for (let uid = 1000; uid < 1200; uid += 1) t.bitmapist.markEvent('visit', uid, { now });
      expect(await t.bitmapist.flush(5_000)).to.equal(0);
      expect(t.bitmapist.metrics).to.deep.equal({ queued: 0, written: 1200, dropped: 0, failed: 0 });
      expect(t.errors.map(({ error }) => error.name)).to.deep.equal(['BitmapistRegistryError']);
      expect((t.errors[0]!.error.cause as Error).message).to.match(/^WRONGTYPE/);
      const engine = t.bitmapist.engine;
      let bits = 0;
      for (let block = 0; block <= engine.keys.locate(1199).block; block += 1) {
        bits += await t.raw.bitcount(engine.keys.eventKey('visit', '2025-1-31', block));
      }
      expect(bits).to.equal(1200);
      expect(await t.raw.get(`${t.prefix}~blocks`)).to.equal('a foreign string');
    } finally {
      await t.cleanup();
    }
  });
});
