import { BaseEntity, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { mark, markEvent } from 'koa-bitmapist/koa';
import { Bitmapistable, trackEntities } from 'koa-bitmapist/typeorm';

// 1. Middleware: marks after the downstream middleware finished without throwing.
//    The id is a value or (ctx) => id; null/undefined (anonymous) marks nothing. Works on app.use and on single routes.
router.get('/reports/:id', mark('report:viewed', (ctx) => ctx.state.user?.id), showReport);

// 2. TypeORM entities: user:created / user:updated / user:deleted with the id, only after the transaction commits.
@Entity() class User extends Bitmapistable(BaseEntity) { @PrimaryGeneratedColumn() id!: number; }
await dataSource.initialize();
trackEntities(dataSource, bitmapist);

// 3. koa-passport: user:logged_in and user:logged_out are marked automatically
//    (including logins through passport.authenticate(), which never calls ctx.login).

// 4. Direct calls: on the plugin, on ctx.bitmapist, or the module export bound to the installed plugin.
bitmapist.markEvent('invoice:paid', invoice.customerId);
ctx.bitmapist.markEvent('export:started', ctx.state.user.id, { system: 'reports' });
markEvent('cron:ran', 0);
