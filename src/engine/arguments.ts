import { BitmapistArgumentError } from './errors.js';

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

/**
 * Checks an options argument: a plain object (`null`, a number, a string or an array is refused naming
 * `argument`, where reading its fields would throw a TypeError or read nothing).
 */
export function assertOptionsObject(value: unknown, argument = 'options'): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BitmapistArgumentError(argument, `must be an object, got ${Array.isArray(value) ? 'an array' : describe(value)}`);
  }
}

/**
 * Refuses an option `options` holds (with a value) that is not one of `known`, naming it: a misspelled option
 * (`timeZone` for `timezone`) is a mistake to say, not a default to apply silently.
 */
export function assertKnownOptions(options: object, known: readonly string[], owner: string): void {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || known.includes(name)) continue;
    const meant = known.find((option) => option.toLowerCase() === name.toLowerCase());
    throw new BitmapistArgumentError(name, `is not an option of ${owner}${meant === undefined ? '' : ` (did you mean ${meant}?)`}`);
  }
}

/** Checks an optional boolean option. */
export function assertOptionalBoolean(value: unknown, argument: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new BitmapistArgumentError(argument, `must be a boolean, got ${describe(value)}`);
  }
}

/** A value as an error message shows it (a long string cut at 40 characters). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
