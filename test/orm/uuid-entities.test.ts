import 'reflect-metadata';
import { expect } from 'chai';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Bitmapist } from '../../src/index.js';
import { Bitmapistable, trackEntities } from '../../src/orm/index.js';
import { testApp } from '../koa/support.js';
import { deleteUnder, keysUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';

@Entity()
class Account extends Bitmapistable() {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A real SQLite database (sql.js) with an entity keyed by a generated UUID. */
async function database() {
  const dataSource = new DataSource({ type: 'sqljs', entities: [Account], synchronize: true });
  await dataSource.initialize();
  return dataSource;
}

describe('orm: Bitmapistable entities with uuid primary keys', () => {
  it('are marked through the plugin with userIds: mapped, their ids read back', async () => {
    const dataSource = await database();
    const t = testApp({ disableRouter: true, trackUnique: true, userIds: 'mapped' });
    trackEntities(dataSource, t.bitmapist);
    try {
      const accounts = dataSource.getRepository(Account);
      const ada = await accounts.save(accounts.create({ name: 'ada' }));
      const bob = await accounts.save(accounts.create({ name: 'bob' }));
      expect(ada.id).to.match(UUID);
      ada.name = 'ada lovelace';
      await accounts.save(ada);
      const bobId = bob.id; // remove() clears it
      await accounts.remove(bob);
      await t.bitmapist.flush(5000);
      const engine = t.bitmapist.engine;
      expect(await engine.unique('account:created').ids()).to.deep.equal([ada.id, bobId]);
      expect(await engine.unique('account:updated').ids()).to.deep.equal([ada.id]);
      expect(await engine.unique('account:deleted').ids()).to.deep.equal([bobId]);
      expect(t.errors).to.have.length(0);
    } finally {
      await dataSource.destroy();
      await t.cleanup();
    }
  });

  it('are marked through a mapped engine too, and not marked (as before) by an engine with integer ids', async () => {
    const dataSource = await database();
    const prefix = uniquePrefix('orm');
    const raw = testClient();
    const mapped = new Bitmapist({ redis: raw, keyPrefix: `${prefix}m_`, userIds: 'mapped', trackUnique: true });
    const integers = new Bitmapist({ redis: raw, keyPrefix: `${prefix}i_`, trackUnique: true });
    const errors: unknown[] = [];
    const written: Promise<unknown>[] = [];
    // The engines themselves, with each mark's promise kept so the test can wait for the writes.
    const watched = (engine: Bitmapist<'mapped'> | Bitmapist) => ({
      idMap: engine.idMap,
      markEvent: (event: string, uid: number | string) => {
        const done = (engine as Bitmapist<'mapped'>).markEvent(event, uid);
        written.push(done);
        return done;
      },
    });
    trackEntities(dataSource, watched(mapped), { onError: (error) => errors.push(error) });
    trackEntities(dataSource, watched(integers), { onError: (error) => errors.push(error) });
    try {
      const accounts = dataSource.getRepository(Account);
      const ada = await accounts.save(accounts.create({ name: 'ada' }));
      expect(written).to.have.length(1);
      await Promise.all(written);
      expect(await mapped.unique('account:created').ids()).to.deep.equal([ada.id]);
      expect(await keysUnder(raw, `${prefix}i_`)).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await dataSource.destroy();
      await deleteUnder(raw, prefix);
      raw.disconnect();
    }
  });
});
