import { Bitmapist } from 'koa-bitmapist';

const bm = new Bitmapist();
const day = (d: number) => new Date(Date.UTC(2025, 2, d, 12));
for (const uid of [1, 2, 3]) await bm.markEvent('user:signed_up', uid, { now: day(10) });
await bm.markEvent('user:logged_in', 1, { now: day(10) });
await bm.markEvent('user:logged_in', 2, { now: day(12) });
await bm.markEvent('user:purchased', 2, { now: day(13) });
await bm.markUnique('plan:pro', 2);

// Of the users who signed up each day, how many logged in, then purchased, within 7 days?
const funnel = await bm.getFunnel(['user:signed_up', 'user:logged_in', 'user:purchased'], { periods: 7, window: 7, now: day(15) });
console.log(funnel.steps.map((step) => step.count).join(' → '));   // 3 → 2 → 1
console.log(funnel.timeToConvert.slice(0, 4).join(' '));            // 0 0 0 1
const pro = await bm.getFunnel(['user:signed_up', 'user:purchased'], { periods: 7, now: day(15), segment: bm.unique('plan:pro') });
console.log(pro.steps.map((step) => step.count).join(' → '));       // 1 → 1
await bm.close();
