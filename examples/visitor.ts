/**
 * How the example app identifies the visitor of a page: the logged-in user's id, else an anonymous
 * visitor id kept in a signed cookie. The id is drawn at random by the server from {@link VISITOR_IDS}
 * and never read from the request unsigned, so no request can choose the id it is marked under (and
 * with it the size of the bitmaps: maxUserId / 8 bytes each).
 */
import { randomInt } from 'node:crypto';
import type { Context, Next } from 'koa';

/** The ids of anonymous visitors: 1,000,000 to 1,999,999, apart from the demo users (1 to 1,000). */
export const VISITOR_IDS = { min: 1_000_000, max: 1_999_999 } as const;

/** The name of the signed cookie holding an anonymous visitor's id. */
export const VISITOR_COOKIE = 'visitor';

const ONE_YEAR_MS = 365 * 86_400_000;

/** A user as `ctx.state.user` holds it. */
interface LoggedInUser {
  id: number;
}

/**
 * Middleware: sets `ctx.state.visitorId` to the logged-in user's id, else to the id of the signed visitor
 * cookie, else to a new random id from {@link VISITOR_IDS} that it sets in the cookie. Needs `app.keys`.
 */
export async function identifyVisitor(ctx: Context, next: Next): Promise<void> {
  const user = ctx.state.user as LoggedInUser | undefined;
  ctx.state.visitorId = user ? user.id : anonymousVisitorId(ctx);
  await next();
}

/** The visitor `identifyVisitor` found (undefined on routes it does not run on). */
export function visitorId(ctx: Context): number | undefined {
  return ctx.state.visitorId as number | undefined;
}

function anonymousVisitorId(ctx: Context): number {
  const stored = ctx.cookies.get(VISITOR_COOKIE, { signed: true });
  const id = stored !== undefined && /^\d{7}$/.test(stored) ? Number(stored) : Number.NaN;
  if (id >= VISITOR_IDS.min && id <= VISITOR_IDS.max) return id;
  const fresh = randomInt(VISITOR_IDS.min, VISITOR_IDS.max + 1);
  ctx.cookies.set(VISITOR_COOKIE, String(fresh), { signed: true, httpOnly: true, sameSite: 'lax', maxAge: ONE_YEAR_MS });
  return fresh;
}
