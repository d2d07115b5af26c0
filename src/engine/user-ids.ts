import { BitmapistArgumentError } from './errors.js';
import { assertWellFormed } from './validate.js';

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
      `user id must be 1 to ${MAX_MAPPED_ID_LENGTH} characters long, got ${id.length}`,
    );
  }
  assertWellFormed(id, argument, 'user id');
  return id;
}
