import { BitmapistArgumentError } from '../engine/errors.js';
import { MAX_MAPPED_ID_LENGTH } from '../engine/user-ids.js';

/**
 * A user id as apps hold it: a number, a bigint, or a string (with integer ids a string of digits, as many
 * ORMs return ids; with `userIds: 'mapped'` any id string, e.g. a UUID or an ObjectId's hex string).
 */
export type UserId = number | bigint | string;

/** Turns a {@link UserId} into the number the engine marks; the engine then checks its range. */
export function toUserId(value: unknown, argument = 'uid'): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw new BitmapistArgumentError(argument, `user id must be a non-negative integer or a string of digits, got ${shown}`);
}

/**
 * The id of a user as passport holds it: the serialized session value, or a user object with an `id` (or,
 * as MongoDB documents, an `_id`; an ObjectId counts as its hex string). With `anyString` (mapped ids) any id
 * string of 1 to 256 characters is one (a UUID, an ObjectId); otherwise only a number or a string of digits.
 * Anything else is anonymous (undefined).
 */
export function passportUserId(user: unknown, anyString = false): UserId | undefined {
  if (user !== null && typeof user === 'object' && !isObjectId(user)) {
    const { id, _id } = user as { id?: unknown; _id?: unknown };
    return idValue(id ?? _id, anyString);
  }
  return idValue(user, anyString);
}

function idValue(id: unknown, anyString: boolean): UserId | undefined {
  if (typeof id === 'number' || typeof id === 'bigint') return id;
  if (typeof id === 'string') {
    const ok = anyString ? id.length >= 1 && id.length <= MAX_MAPPED_ID_LENGTH : /^\d{1,15}$/.test(id);
    return ok ? id : undefined;
  }
  return anyString && isObjectId(id) ? idValue(id.toHexString(), anyString) : undefined;
}

function isObjectId(value: unknown): value is { toHexString(): string } {
  return typeof (value as { toHexString?: unknown } | null)?.toHexString === 'function';
}
