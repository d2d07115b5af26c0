import { BitmapistArgumentError } from '../errors.js';

/** The longest event name accepted, in characters. Longer names are refused (they only bloat keys). */
export const MAX_EVENT_NAME_LENGTH = 512;

/**
 * How the names of Python bitmapist's BitOp results start (`<prefix>bitop_<OP>_<key>-<key>...`): scratch keys it
 * leaves behind, which its `get_event_names` leaves out, and so do we. No event's keys may start with it: no
 * event name starts with it, nor is `bitop` (whose keys are `<prefix>bitop_<suffix>`).
 */
export const PYTHON_BITOP_MARK = 'bitop_';

/** A lone surrogate: with the `u` flag a well-formed pair is one code point, never in this category. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks an event name: a non-empty, well-formed Unicode string of at most {@link MAX_EVENT_NAME_LENGTH}
 * characters, neither `bitop` nor starting with `bitop_`. A lone surrogate is refused: Redis would store it as U+FFFD, so
 * `'a\uD800'` and `'a\uFFFD'` would share one key. Such a name's keys would start as Python bitmapist's
 * BitOp results do: its bitmaps would be scratch keys to both libraries (never listed, deleted as scratch, left
 * out of `exportUser`).
 */
export function assertEventName(event: unknown, argument = 'event'): asserts event is string {
  if (typeof event !== 'string' || event.length === 0) {
    throw new BitmapistArgumentError(argument, 'event name must be a non-empty string');
  }
  assertWellFormed(event, argument, 'event name');
  if (`${event}_`.startsWith(PYTHON_BITOP_MARK)) {
    throw new BitmapistArgumentError(
      argument,
      `event name may not be bitop nor start with ${PYTHON_BITOP_MARK}: its keys would read as Python bitmapist's BitOp results`,
    );
  }
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
