import { BitmapistArgumentError } from './errors.js';

/** The longest event name accepted, in characters. Longer names are refused (they only bloat keys). */
export const MAX_EVENT_NAME_LENGTH = 512;

/** The largest user id Redis can address in a bitmap (bit offsets stop at 2^32 - 1). */
export const MAX_BITMAP_USER_ID = 2 ** 32 - 1;

/**
 * The default `maxUserId` of the compatible layout: 2^24 - 1 (16,777,215). A bitmap holding it is 2 MB (2.5 MB
 * as Redis allocates it), so one default mark (month, week, day) makes Redis allocate under 8 MB. Raise it
 * explicitly (up to {@link MAX_BITMAP_USER_ID}) when your ids are larger: each bitmap costs maxUserId / 8 bytes.
 */
export const DEFAULT_MAX_USER_ID = 2 ** 24 - 1;

/** A lone surrogate: with the `u` flag a well-formed pair is one code point, never in this category. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks an event name: a non-empty, well-formed Unicode string of at most {@link MAX_EVENT_NAME_LENGTH}
 * characters. A lone surrogate is refused: Redis would store it as U+FFFD, so `'a\uD800'` and `'a\uFFFD'`
 * would share one key.
 */
export function assertEventName(event: unknown, argument = 'event'): asserts event is string {
  if (typeof event !== 'string' || event.length === 0) {
    throw new BitmapistArgumentError(argument, 'event name must be a non-empty string');
  }
  assertWellFormed(event, argument, 'event name');
  if (event.length > MAX_EVENT_NAME_LENGTH) {
    throw new BitmapistArgumentError(
      argument,
      `event name is ${event.length} characters long; the limit is ${MAX_EVENT_NAME_LENGTH}`,
    );
  }
}

/** Checks that a string a key is built from is well-formed Unicode (no lone surrogate). */
export function assertWellFormed(text: string, argument: string, what = 'it'): void {
  if (LONE_SURROGATE.test(text)) {
    throw new BitmapistArgumentError(argument, `${what} must be well-formed Unicode (it holds a lone surrogate)`);
  }
}

/** Checks a user id: a safe integer in `[0, maxUserId]`. */
export function assertUserId(uid: unknown, maxUserId: number, argument = 'uid'): asserts uid is number {
  if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || uid < 0 || uid > maxUserId) {
    throw new BitmapistArgumentError(
      argument,
      `user id must be an integer in [0, ${maxUserId}], got ${describe(uid)}`,
    );
  }
}

/** Checks an integer option within `[min, max]`. */
export function assertIntegerInRange(
  value: unknown,
  argument: string,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BitmapistArgumentError(argument, `must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
}

/** Checks an optional boolean option. */
export function assertOptionalBoolean(value: unknown, argument: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new BitmapistArgumentError(argument, `must be a boolean, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
