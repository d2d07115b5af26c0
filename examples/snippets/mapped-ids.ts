import Koa from 'koa';
import { Bitmapist } from 'koa-bitmapist';
import { koaBitmapist, mark } from 'koa-bitmapist/koa';

// Any string id (UUID, ObjectId, e-mail, ...) of 1 to 256 characters, or a number / bigint: 42, 42n and '42'
// are one user. Each new id gets the next dense integer, allocated in Redis by its first mark.
const bm = new Bitmapist({ userIds: 'mapped' });
await bm.markEvent('user:logged_in', '3f2b6c1e-8a4d-4f7e-9b21-0c5d6e7f8a90');
await bm.markEvent('user:logged_in', '507f1f77bcf86cd799439011');

const today = bm.day('user:logged_in');
console.log(await today.count());                                 // 2
console.log(await today.has('507f1f77bcf86cd799439011'));         // true
console.log(await today.has('never-seen'));                       // false (and nothing is allocated)
console.log(await today.ids());                                   // the two ids, in order of first sight
await bm.close();

// Koa: the same option; passport users with UUID or ObjectId ids are marked, mark() resolvers return strings.
const app = new Koa();
const plugin = koaBitmapist(app, { userIds: 'mapped', maxMappedIds: 10_000_000 });
app.use(mark<{ user?: { id: string } }>('page:viewed', (ctx) => ctx.state.user?.id));
console.log(await plugin.getEventData('page:viewed').ids());      // string[]
