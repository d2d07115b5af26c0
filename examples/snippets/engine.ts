import { Bitmapist } from 'koa-bitmapist';

// Redis: BITMAPIST_REDIS_URL, else redis://localhost:6379; or pass { redis: url } or an ioredis client you own.
const bm = new Bitmapist();

await bm.markEvent('user:signed_up', 42);                         // now: month + ISO week + day, one script call
await bm.markEvent('user:logged_in', 42, { trackHourly: true });  // ... and the hour
await bm.markEvent('user:logged_in', 7, { now: new Date('2025-01-31T23:10:00Z') });

const today = bm.day('user:logged_in');                           // today (UTC)
console.log(await today.count());                                 // 1
console.log(await today.has(42));                                 // true
console.log(await today.ids());                                   // [ 42 ]
console.log(await bm.day('user:logged_in', new Date('2025-01-31')).ids()); // [ 7 ]

// Lazy set algebra: nothing is read until you await; the whole expression is one script call.
await bm.markUnique('user:banned', 7);
const active = bm.month('user:logged_in').or(bm.month('user:logged_in', new Date('2025-01-15')));
console.log(await active.ids());                                  // [ 7, 42 ]
console.log(await active.and(bm.unique('user:banned').not()).ids()); // [ 42 ]

// Cohorts: rows are the periods of the primary event, cells how many of those users did the secondary one.
const { cohort, dates, totals } = await bm.getCohort('user:signed_up', 'user:logged_in', {
  timeGroup: 'days', numRows: 30, numCols: 30, mode: 'first',
  additionalEvents: [{ name: 'user:purchased', op: 'or' }],
});
console.log(dates.length, totals.at(-1), cohort.at(-1)?.[0]);     // 30 1 1

await bm.close();
