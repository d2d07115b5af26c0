/**
 * The visitors of the HTTP benchmark, and how each kind checks the marks the marked route stored:
 * `session` (50 logged-in demo users) and `anonymous` (50 visitors identified by the example's signed
 * visitor cookie, as a real app identifies visitors; the example takes no id from the query string).
 */
import type { BenchContext } from './context.js';
import type { AppServer, NextRequest } from './http-app.js';
import { MismatchError } from './keyspace.js';

const EVENT = 'index:visited';

/** How the visitors of a scenario identify themselves. */
export interface Scenario {
  name: string;
  /** The request a connection sends next (autocannon keeps one `context` per connection). */
  request: NextRequest;
  /** Throws unless the marked route stored exactly what it should have. */
  check(ids: number[], marked: { issued: number; answered: number }): void;
}

/** Logs demo users user1..userN in and returns their session cookies. */
async function sessionCookies(port: number, users: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: users }, async (_, i) => {
      const response = await fetch(`http://127.0.0.1:${port}/login`, {
        method: 'POST',
        body: new URLSearchParams({ username: `user${i + 1}`, password: 'demo' }),
        redirect: 'manual',
      });
      const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);
      if (response.status !== 302 || cookies.length === 0) throw new Error(`could not log user${i + 1} in (HTTP ${response.status})`);
      return cookies.join('; ');
    }),
  );
}

/** The users marked with the event under a prefix (the OR of its day bitmaps), ascending. */
export async function markedIds(ctx: BenchContext, prefix: string): Promise<number[]> {
  const ids = new Set<number>();
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${prefix}${EVENT}_*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys.filter((k) => /_\d+-\d+-\d+$/.test(k))) {
      const bitmap = (await ctx.redis.getBuffer(key)) ?? Buffer.alloc(0);
      bitmap.forEach((byte, i) => {
        for (let bit = 0; bit < 8; bit += 1) if (byte & (0x80 >> bit)) ids.add(i * 8 + bit);
      });
    }
  } while (cursor !== '0');
  return [...ids].sort((a, b) => a - b);
}

export const SESSION_USERS = 50;

/** 50 logged-in users: each connection sends one user's session cookie. */
export async function sessionScenario(marked: AppServer): Promise<Scenario> {
  const cookies = await sessionCookies(marked.port, SESSION_USERS);
  let next = 0;
  return {
    name: 'session',
    request: (context) => ({ path: '/', headers: { cookie: (context.cookie ??= cookies[next++ % cookies.length]) as string } }),
    check(ids) {
      const expected = Array.from({ length: SESSION_USERS }, (_, i) => i + 1);
      if (ids.join() !== expected.join()) throw new MismatchError(`HTTP session: marked users ${JSON.stringify(ids.slice(0, 60))}, expected 1..${SESSION_USERS}`);
    },
  };
}

export const ANONYMOUS_VISITORS = 50;

/** Opens `/` once as a new visitor; returns the cookies it was given and the visitor id they hold. */
async function firstVisit(port: number): Promise<{ cookie: string; id: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);
  const id = Number(cookies.map((cookie) => /^visitor=(\d+)$/.exec(cookie)?.[1]).find((value) => value !== undefined));
  if (response.status !== 200 || !Number.isSafeInteger(id)) throw new Error(`no visitor cookie on a first visit (HTTP ${response.status})`);
  return { cookie: cookies.join('; '), id };
}

/**
 * 50 anonymous visitors coming back: each got its signed visitor cookie on a first visit, and each
 * connection sends one visitor's cookie (both servers share APP_KEYS, so both accept it).
 */
export async function anonymousScenario(marked: AppServer): Promise<Scenario> {
  const visitors = await Promise.all(Array.from({ length: ANONYMOUS_VISITORS }, () => firstVisit(marked.port)));
  let next = 0;
  return {
    name: 'anonymous',
    request: (context) => ({ path: '/', headers: { cookie: (context.cookie ??= visitors[next++ % visitors.length]!.cookie) as string } }),
    check(ids) {
      const expected = [...new Set(visitors.map((visitor) => visitor.id))].sort((a, b) => a - b);
      if (ids.join() !== expected.join()) {
        throw new MismatchError(`HTTP anonymous: marked visitors ${JSON.stringify(ids.slice(0, 60))}, expected ${JSON.stringify(expected)}`);
      }
    },
  };
}
