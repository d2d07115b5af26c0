import { Bitmapist } from 'koa-bitmapist';

const bm = new Bitmapist();
await bm.markEvent('user:logged_in', 42, { now: new Date('2025-01-31T10:00:00Z') });
await bm.markUnique('plan:pro', 42);

// Right of access: every bitmap holding user 42, as { event, granularity, period, start }.
const held = await bm.exportUser(42);
console.log(held.map((mark) => mark.period).join(' '));            // u 2025-1 W2025-5 2025-1-31
console.log(held[0]?.event, held[0]?.granularity);                 // plan:pro unique
console.log(held[1]?.event, held[1]?.granularity);                 // user:logged_in month
console.log(held[3]?.start?.toISOString());                        // 2025-01-31T00:00:00.000Z
await bm.close();
