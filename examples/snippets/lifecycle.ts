import { Bitmapist } from 'koa-bitmapist';

// Keep hour bitmaps 2 days and day bitmaps 90 days after their period ends; weeks, months and unique stay.
const bm = new Bitmapist({ trackHourly: true, expire: { hour: 2 * 86_400, day: 90 * 86_400 } });

await bm.markEvent('user:logged_in', 42);  // + EXPIREAT ... NX on the new day and hour bitmaps, once per process
await bm.markEvent('user:logged_in', 7);   // bitmaps already given their expiry: no extra command
console.log(await bm.day('user:logged_in').ids());                // [ 7, 42 ]

// Right to erasure: user 42's bit goes from every bitmap of the prefix (every event, period and unique).
console.log(await bm.forgetUser(42));                             // 4
console.log(await bm.day('user:logged_in').ids());                // [ 7 ]

await bm.close();
