import { hasUserIdForm, type AppUserId, type UserIdMode } from '../engine/ids/user-ids.js';

/**
 * A user id as apps hold it: a number, a bigint, or a string (with integer ids a string of digits, as many
 * ORMs return ids; with `userIds: 'mapped'` any id string, e.g. a UUID or an ObjectId's hex string).
 */
export type UserId = AppUserId;

/**
 * The id of a user as passport holds it: the serialized session value, or a user object with an `id` (or,
 * as MongoDB documents, an `_id`; an ObjectId counts as its hex string), when it has the form of a user id
 * of `mode` (the engine's rules, see `hasUserIdForm`). Anything else is anonymous (undefined).
 */
export function passportUserId(user: unknown, mode: UserIdMode = 'integers'): UserId | undefined {
  if (user !== null && typeof user === 'object' && !isObjectId(user)) {
    const { id, _id } = user as { id?: unknown; _id?: unknown };
    return idValue(id ?? _id, mode);
  }
  return idValue(user, mode);
}

function idValue(id: unknown, mode: UserIdMode): UserId | undefined {
  if (mode === 'mapped' && isObjectId(id)) return idValue(id.toHexString(), mode);
  return hasUserIdForm(id, mode) ? id : undefined;
}

function isObjectId(value: unknown): value is { toHexString(): string } {
  return typeof (value as { toHexString?: unknown } | null)?.toHexString === 'function';
}
