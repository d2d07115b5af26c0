import { BitmapistArgumentError } from '../errors.js';
import { describe } from '../arguments.js';
import { assertWellFormed } from '../keys/names.js';

/** The largest user id Redis can address in a bitmap (bit offsets stop at 2^32 - 1). */
export const MAX_BITMAP_USER_ID = 2 ** 32 - 1;

/**
 * The default `maxUserId` of the compatible layout: 2^24 - 1 (16,777,215). A bitmap holding it is 2 MB (2.5 MB
 * as Redis allocates it), so one default mark (month, week, day) makes Redis allocate under 8 MB. Raise it
 * explicitly (up to {@link MAX_BITMAP_USER_ID}) when your ids are larger: each bitmap costs maxUserId / 8 bytes.
 */
export const DEFAULT_MAX_USER_ID = 2 ** 24 - 1;

/** Checks a user id: a safe integer in `[0, maxUserId]`. */
export function assertUserId(uid: unknown, maxUserId: number, argument = 'uid'): asserts uid is number {
  if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || uid < 0 || uid > maxUserId) {
    throw new BitmapistArgumentError(
      argument,
      `user id must be an integer in [0, ${maxUserId}], got ${describe(uid)}`,
    );
  }
}

/**
 * What kind of user ids a prefix holds: `integers` (Python bitmapist's, the bit offset is the id) or `mapped`
 * (any string, number or bigint, each given the next dense integer on its first mark).
 */
export type UserIdMode = 'integers' | 'mapped';

/** A user id of mapped mode as the app holds it: `42`, `42n` and `'42'` are one user. */
export type MappedUserId = string | number | bigint;

/** The longest mapped user id accepted, in characters. */
export const MAX_MAPPED_ID_LENGTH = 256;

/** The default cap on the number of mapped ids of a prefix: 2^24 (16,777,216). */
export const DEFAULT_MAX_MAPPED_IDS = 2 ** 24;

/** Checks the `userIds` option. */
export function assertUserIdMode(value: unknown): asserts value is UserIdMode {
  if (value !== 'integers' && value !== 'mapped') {
    throw new BitmapistArgumentError('userIds', `must be 'integers' or 'mapped', got ${JSON.stringify(value) ?? typeof value}`);
  }
}

/**
 * The canonical string of a mapped user id: a well-formed string of 1 to {@link MAX_MAPPED_ID_LENGTH}
 * characters as is, a safe integer or a bigint as its decimal string. Anything else is a
 * {@link BitmapistArgumentError}.
 */
export function mappedIdOf(value: unknown, argument = 'uid'): string {
  let id: string;
  if (typeof value === 'string') id = value;
  else if (typeof value === 'bigint') id = value.toString();
  else if (typeof value === 'number' && Number.isSafeInteger(value)) id = String(value);
  else {
    const shown = typeof value === 'number' ? String(value) : typeof value;
    throw new BitmapistArgumentError(argument, `user id must be a string, a safe integer or a bigint, got ${shown}`);
  }
  if (id.length === 0 || id.length > MAX_MAPPED_ID_LENGTH) {
    throw new BitmapistArgumentError(
      argument,
      `user id must be 1 to ${MAX_MAPPED_ID_LENGTH} characters long (UTF-16 code units, as JavaScript's length: an emoji counts 2), got ${id.length}`,
    );
  }
  assertWellFormed(id, argument, 'user id');
  return id;
}

/**
 * A user id as apps hold it: a number, a bigint, or a string (with integer ids a string of digits, as many ORMs
 * return ids; with mapped ids any id string, e.g. a UUID or an ObjectId's hex string).
 */
export type AppUserId = number | bigint | string;

/** The id rules of one engine: its id mode and its largest integer id (a `Bitmapist` is one). */
export interface UserIdRules {
  readonly userIds: UserIdMode;
  readonly maxUserId: number;
}

const DIGITS = /^\d{1,15}$/;

/**
 * Whether `value` has the form of a user id of `mode`, ranges aside: with integer ids a number, a bigint or a
 * string of digits; with mapped ids also any string of 1 to {@link MAX_MAPPED_ID_LENGTH} characters. Layers
 * that find ids in app data (passport users, ORM entities) treat anything else as no id at all (anonymous).
 */
export function hasUserIdForm(value: unknown, mode: UserIdMode): value is AppUserId {
  if (typeof value === 'number' || typeof value === 'bigint') return true;
  if (typeof value !== 'string') return false;
  return mode === 'mapped' ? value.length >= 1 && value.length <= MAX_MAPPED_ID_LENGTH : DIGITS.test(value);
}

/**
 * Checks a user id as an app holds it ({@link AppUserId}) against an engine's rules and returns what the engine
 * marks: with integer ids the number (a safe integer, a bigint or a string of digits, in `[0, maxUserId]`);
 * with mapped ids the id's canonical string (see {@link mappedIdOf}). Anything else is a
 * {@link BitmapistArgumentError} naming `argument`. The one set of id rules every layer uses.
 */
export function checkAppUserId(value: unknown, rules: UserIdRules, argument = 'uid'): number | string {
  if (rules.userIds === 'mapped') return mappedIdOf(value, argument);
  let id: unknown = value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) id = Number(value);
  else if (typeof value === 'string' && DIGITS.test(value)) id = Number(value);
  else if (typeof value !== 'number') {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
    throw new BitmapistArgumentError(argument, `user id must be a non-negative integer or a string of digits, got ${shown}`);
  }
  assertUserId(id, rules.maxUserId, argument);
  return id;
}

/** The user ids a {@link Bitmapist} of id mode `Mode` takes: integers, or in mapped mode any {@link MappedUserId}. */
export type UserIdOf<Mode extends UserIdMode> = Mode extends 'mapped' ? MappedUserId : number;
/** The ids `ids()` gives in id mode `Mode`: integers, or in mapped mode the app's ids as strings. */
export type IdOf<Mode extends UserIdMode> = Mode extends 'mapped' ? string : number;
