import type { IdMap } from '../ids/id-map.js';
import { assertUserId, mappedIdOf } from '../ids/user-ids.js';
import type { KeyNames } from '../keys/key-names.js';
import type { RedisClient } from '../redis/scripts.js';
import type { ReadGuard } from '../redis/availability.js';
import type { TimeZone } from '../time/time-zone.js';
import { forgetUserBits, userBitmaps } from './user-bitmaps.js';
import { userMarks, type UserMark } from './user-marks.js';

/** What the user-data operations need from an engine. */
export interface UserDataSource {
  readonly redis: RedisClient;
  readonly keys: KeyNames;
  readonly idMap: IdMap | undefined;
  readonly maxUserId: number;
  readonly timeZone: TimeZone;
  /** Throws a `BitmapistOfflineError` while the client has lost its connection (nothing is sent then). */
  assertReachable(): void;
  /** How reads wait for their answers (a silent Redis fails them in bounded time). */
  readonly readGuard: ReadGuard;
}

/**
 * The integer of a user id (checked, then, with Redis reachable, a mapped id looked up), undefined for a mapped
 * id never marked.
 */
async function integerOf(engine: UserDataSource, uid: unknown): Promise<number | undefined> {
  if (engine.idMap) {
    const id = mappedIdOf(uid);
    engine.assertReachable();
    return engine.idMap.lookup(id);
  }
  assertUserId(uid, engine.maxUserId);
  engine.assertReachable();
  return uid;
}

/**
 * Forgets a user (right to erasure): clears its bit in every bitmap of the prefix and resolves to the number of
 * bitmaps that changed; in mapped mode then removes the id's map entries (bits first, so that a failure leaves
 * the id findable to retry). An unknown mapped id resolves to 0 and changes nothing.
 */
export async function forgetUser(engine: UserDataSource, uid: unknown): Promise<number> {
  const integer = await integerOf(engine, uid);
  if (integer === undefined) return 0;
  const changed = await forgetUserBits(engine.redis, engine.keys, engine.keys.locate(integer));
  await engine.idMap?.forget(uid);
  return changed;
}

/** What the prefix holds about a user (right of access): every bitmap holding its bit, as {@link UserMark}s. */
export async function exportUser(engine: UserDataSource, uid: unknown): Promise<UserMark[]> {
  const integer = await integerOf(engine, uid);
  if (integer === undefined) return [];
  return userMarks(await userBitmaps(engine.redis, engine.keys, engine.keys.locate(integer), engine.readGuard), engine.keys, engine.timeZone);
}
