import 'reflect-metadata';
import { expect } from 'chai';
import { BaseEntity, Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Bitmapist, BitmapistConfigError, BitmapistError } from '../../src/index.js';
import { Bitmapistable, isBitmapistable, trackEntities } from '../../src/orm/index.js';
import { testApp } from '../koa/support.js';
import { deleteUnder, testClient, testRedisUrl, uniquePrefix } from '../support/redis.js';

@Entity()
class User extends Bitmapistable() {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text' })
  name!: string;
}

@Entity()
class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text' })
  text!: string;
}

@Entity()
class Order extends Bitmapistable(BaseEntity) {
  static override bitmapistName = 'purchase';

  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'integer' })
  cents!: number;
}

/**
 * A real SQLite database (sql.js: SQLite compiled to WebAssembly, no native build) with real transactions
 * and savepoints, and the plugin tracking it.
 */
async function database() {
  const dataSource = new DataSource({ type: 'sqljs', entities: [User, Note, Order], synchronize: true });
  await dataSource.initialize();
  const t = testApp({ disableRouter: true, trackUnique: true });
  const untrack = trackEntities(dataSource, t.bitmapist);
  return {
    ...t,
    dataSource,
    untrack,
    users: dataSource.getRepository(User),
    ids: async (event: string) => {
      await t.bitmapist.flush(5000);
      return t.bitmapist.engine.unique(event).ids();
    },
    async close() {
      await dataSource.destroy();
      await t.cleanup();
    },
  };
}

describe('orm: Bitmapistable with TypeORM on SQLite', () => {
  it('marks <entity>:created, :updated and :deleted with the id, and nothing for other entities', async () => {
    const db = await database();
    try {
      const ada = await db.users.save(db.users.create({ name: 'ada' }));
      const bob = await db.users.save(db.users.create({ name: 'bob' }));
      expect([ada.id, bob.id]).to.deep.equal([1, 2]);
      ada.name = 'ada lovelace';
      await db.users.save(ada);
      await db.users.remove(bob);
      await db.dataSource.getRepository(Note).save({ text: 'not tracked' });
      expect(await db.ids('user:created')).to.deep.equal([1, 2]);
      expect(await db.ids('user:updated')).to.deep.equal([1]);
      expect(await db.ids('user:deleted')).to.deep.equal([2]);
      expect(await db.bitmapist.getEventNames()).to.deep.equal(['user:created', 'user:deleted', 'user:updated']);
      expect([isBitmapistable(User), isBitmapistable(Note)]).to.deep.equal([true, false]);
    } finally {
      await db.close();
    }
  });

  it('marks nothing for a rolled-back insert, and a committed one only after the commit', async () => {
    const db = await database();
    try {
      const rolledBack = db.dataSource.transaction(async (manager) => {
        await manager.save(User, { name: 'ghost' });
        throw new Error('roll it back');
      });
      await rolledBack.then(
        () => expect.fail('the transaction should have failed'),
        (error: Error) => expect(error.message).to.equal('roll it back'),
      );
      expect(await db.users.count()).to.equal(0);
      await db.bitmapist.flush(5000);
      expect(db.bitmapist.metrics).to.deep.equal({ queued: 0, written: 0, dropped: 0, failed: 0 });
      let queuedInside = -1;
      await db.dataSource.transaction(async (manager) => {
        await manager.save(User, { name: 'real' });
        queuedInside = db.bitmapist.metrics.queued + db.bitmapist.metrics.written;
      });
      expect(queuedInside).to.equal(0);
      // SQLite hands the rolled-back row's id out again.
      expect(await db.ids('user:created')).to.deep.equal([1]);
      expect(db.bitmapist.metrics).to.deep.equal({ queued: 0, written: 1, dropped: 0, failed: 0 });
    } finally {
      await db.close();
    }
  });

  it('drops the marks of a rolled-back savepoint and keeps the rest of the transaction', async () => {
    const db = await database();
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.manager.save(User, { name: 'kept before' });
      await runner.startTransaction();
      await runner.manager.save(User, { name: 'undone' });
      await runner.rollbackTransaction();
      await runner.startTransaction();
      await runner.manager.save(User, { name: 'kept in savepoint' });
      await runner.commitTransaction();
      expect(db.bitmapist.metrics.queued + db.bitmapist.metrics.written).to.equal(0);
      await runner.commitTransaction();
      expect((await db.users.find({ order: { id: 'ASC' } })).map((u) => [u.id, u.name])).to.deep.equal([
        [1, 'kept before'],
        [2, 'kept in savepoint'],
      ]);
      expect(await db.ids('user:created')).to.deep.equal([1, 2]);
      expect(db.bitmapist.metrics).to.deep.equal({ queued: 0, written: 2, dropped: 0, failed: 0 });
    } finally {
      await runner.release();
      await db.close();
    }
  });

  it('works with BaseEntity and a custom bitmapistName, and stops when untracked', async () => {
    const db = await database();
    try {
      const order = await Order.create({ cents: 1999 }).save();
      expect(order.id).to.equal(1);
      expect(await db.ids('purchase:created')).to.deep.equal([1]);
      db.untrack();
      await Order.create({ cents: 5 }).save();
      expect(await db.ids('purchase:created')).to.deep.equal([1]);
    } finally {
      await db.close();
    }
  });

  it('reports the rows of a multi-row insert that TypeORM gives one id (SQLite: the last row\'s) instead of marking them', async () => {
    const db = await database();
    try {
      db.untrack();
      const errors: unknown[] = [];
      trackEntities(db.dataSource, db.bitmapist, { onError: (error) => errors.push(error) });
      await db.users.save(db.users.create({ name: 'ada' }));
      const result = await db.users.insert([{ name: 'bob' }, { name: 'cy' }, { name: 'di' }]);
      // TypeORM's own answer shows the misreport: the rows are 2, 3 and 4 in SQL.
      expect(result.identifiers).to.deep.equal([{ id: 4 }, { id: 4 }, { id: 4 }]);
      expect((await db.users.find({ order: { id: 'ASC' } })).map((user) => user.id)).to.deep.equal([1, 2, 3, 4]);
      await db.users.save([db.users.create({ name: 'eve' }), db.users.create({ name: 'fay' })]);
      // The id reported is marked once (it is the last row's); rows saved one by one are marked as before.
      expect(await db.ids('user:created')).to.deep.equal([1, 4, 5, 6]);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(BitmapistError);
      expect(String(errors[0])).to.contain('TypeORM reported the id 4 for several rows inserted into user at once');
    } finally {
      await db.close();
    }
  });

  it('refuses an unknown system at once, and a marking failure never breaks the host\'s write (it goes to onError)', async () => {
    const db = await database();
    try {
      expect(() => trackEntities(db.dataSource, db.bitmapist, { system: 'nope' })).to.throw(/system/);
      // A marker that throws inside the write's hook: the row is saved all the same, the error reported.
      const errors: unknown[] = [];
      let broken = false;
      const failing = {
        markEvent: () => undefined,
        get userIds(): 'integers' {
          if (broken) throw new Error('the marker is broken');
          return 'integers';
        },
      };
      trackEntities(db.dataSource, failing, { onError: (error) => errors.push(error) });
      broken = true;
      const saved = await db.users.save({ name: 'kept' });
      expect(await db.users.findOneBy({ id: saved.id })).to.not.equal(null);
      expect(errors.map(String)).to.include('Error: the marker is broken');
    } finally {
      await db.close();
    }
  });

  it('marks through an engine as well, and refuses a DataSource that is not initialized', async () => {
    const dataSource = new DataSource({ type: 'sqljs', entities: [User], synchronize: true });
    const engine = new Bitmapist({ redis: testRedisUrl(), keyPrefix: uniquePrefix('orm'), trackUnique: true });
    const raw = testClient();
    try {
      expect(() => trackEntities(dataSource, engine)).to.throw(BitmapistConfigError, 'initialize the DataSource first');
      await dataSource.initialize();
      trackEntities(dataSource, engine);
      await dataSource.getRepository(User).save({ name: 'direct' });
      // The engine's mark is not awaited by TypeORM: wait for it to land.
      for (let tries = 0; tries < 100 && (await engine.unique('user:created').count()) === 0; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await engine.unique('user:created').ids()).to.deep.equal([1]);
    } finally {
      await dataSource.destroy();
      await deleteUnder(raw, engine.keys.prefix);
      raw.disconnect();
      await engine.close();
    }
  });
});
