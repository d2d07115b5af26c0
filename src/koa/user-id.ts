import { BitmapistArgumentError } from '../engine/errors.js';

/** A user id as apps hold it: a number, a bigint, or a string of digits (as many ORMs return ids). */
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
 * The id of a user as passport holds it: the serialized session value (a number or a string of digits)
 * or a user object with an `id`. Anything else is anonymous (undefined).
 */
export function passportUserId(user: unknown): UserId | undefined {
  if (typeof user === 'number' || typeof user === 'bigint') return user;
  if (typeof user === 'string') return /^\d{1,15}$/.test(user) ? user : undefined;
  if (user !== null && typeof user === 'object' && 'id' in user) {
    const { id } = user as { id: unknown };
    if (typeof id === 'number' || typeof id === 'bigint' || (typeof id === 'string' && /^\d{1,15}$/.test(id))) return id;
  }
  return undefined;
}
