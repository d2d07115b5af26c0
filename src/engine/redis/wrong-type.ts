import { readError, type WrongTypeKey } from '../errors.js';

/** Keys whose type is asked at once while looking for the one a read refused. */
const TYPE_BATCH = 64;

/**
 * The first of `keys` that holds another type than `expected` (a string: a bitmap), with its type: the key a
 * `WRONGTYPE` reply was about (Redis does not name it). Undefined when none does any more, or when Redis cannot
 * say; asked only after a read failed, in batches of {@link TYPE_BATCH} `TYPE`s.
 */
export async function findWrongTypeKey(
  client: { type(key: string): Promise<string> },
  keys: readonly string[],
  expected: 'string' | 'hash' | 'set' = 'string',
): Promise<WrongTypeKey | undefined> {
  try {
    for (let start = 0; start < keys.length; start += TYPE_BATCH) {
      const batch = keys.slice(start, start + TYPE_BATCH);
      const types = await Promise.all(batch.map((key) => client.type(key)));
      const found = types.findIndex((type) => type !== expected && type !== 'none');
      if (found >= 0) return { key: batch[found]!, type: types[found]!, expected: expected === 'string' ? 'bitmap' : expected };
    }
  } catch {
    // The read's own error is reported; the key is a courtesy.
  }
  return undefined;
}

/**
 * A failed read as the engine reports it (see `readError`): a `WRONGTYPE` reply as a `BitmapistWrongTypeError`
 * naming the first of `keys` that holds another type than `expected` (looked up now), anything else as it is.
 */
export async function namedReadError(
  error: unknown,
  client: { type(key: string): Promise<string> },
  keys: readonly string[],
  expected: 'string' | 'hash' | 'set' = 'string',
): Promise<unknown> {
  const wrongType = error instanceof Error && error.message.startsWith('WRONGTYPE');
  return readError(error, wrongType ? await findWrongTypeKey(client, keys, expected) : undefined);
}
