import { BitmapistIdModeError, BitmapistKeyTypeError, BitmapistScriptError } from '../errors.js';
import type { PendingMark } from './batcher.js';
import { runScript, type RedisClient } from '../redis/scripts.js';

/**
 * Writes one block's marks in one script call (lua/mark.lua for one mark, lua/mark_many.lua for more) and
 * resolves to the errors of the marks Redis refused because a key is not a bitmap, by key list (marks that
 * share a key list share their fate). Any other failure of the call rejects. With `modeKey` (integer ids in
 * the compatible layout) the script also refuses a prefix recorded as holding mapped ids.
 */
export async function writeBlock(
  redis: RedisClient,
  bit: 0 | 1,
  marks: PendingMark[],
  maxBit: number,
  modeKey?: string,
): Promise<Map<readonly string[], BitmapistKeyTypeError>> {
  const refused = new Map<readonly string[], BitmapistKeyTypeError>();
  if (marks.length === 1) {
    const [{ keys, uid }] = marks as [PendingMark];
    try {
      const withMode = modeKey === undefined ? keys : [...keys, modeKey];
      await runScript(redis.bitmapistMark(withMode.length, ...withMode, uid, bit, maxBit, modeKey === undefined ? 0 : 1));
    } catch (error) {
      throwIdMode(error);
      const wrongType = wrongTypeOf(error);
      if (!wrongType) throw error;
      refused.set(keys, new BitmapistKeyTypeError(keys[wrongType.index - 1]!, wrongType.type));
    }
    return refused;
  }
  // Marks of the same event and period share one cached key list: group them by it, and send each
  // bitmap name once (see lua/mark_many.lua).
  const groups = new Map<readonly string[], number[]>();
  for (const { keys, uid } of marks) {
    const uids = groups.get(keys);
    if (uids) uids.push(uid);
    else groups.set(keys, [uid]);
  }
  const keyIndex = new Map<string, number>();
  const args: (string | number)[] = [bit, maxBit, groups.size];
  for (const [keys, uids] of groups) {
    const indexes = keys.map((key) => {
      let index = keyIndex.get(key);
      if (index === undefined) keyIndex.set(key, (index = keyIndex.size + 1));
      return index;
    });
    args.push(indexes.join(','), uids.join(','));
  }
  const allKeys = [...keyIndex.keys()];
  if (modeKey !== undefined) allKeys.push(modeKey), args.push(1);
  const reply = await runScript(redis.bitmapistMarkMany(allKeys.length, ...allKeys, ...args)).catch((error: unknown) => {
    throwIdMode(error);
    throw error;
  });
  if (reply.length > 1) {
    const groupKeys = [...groups.keys()];
    for (let i = 1; i + 2 < reply.length; i += 3) {
      const keys = groupKeys[Number(reply[i]) - 1]!;
      refused.set(keys, new BitmapistKeyTypeError(allKeys[Number(reply[i + 1]) - 1]!, String(reply[i + 2])));
    }
  }
  return refused;
}

/** Rethrows a `BITMAPIST_IDMODE` reply as a {@link BitmapistIdModeError}; returns for any other error. */
function throwIdMode(error: unknown): void {
  if (error instanceof BitmapistScriptError && error.cause instanceof Error && error.cause.message.startsWith('BITMAPIST_IDMODE')) {
    throw new BitmapistIdModeError('the prefix holds mapped user ids; this instance has integer ids: nothing was written');
  }
}

/** The key index and type of a `BITMAPIST_WRONGTYPE <index> <type>` reply of lua/mark.lua, if it is one. */
function wrongTypeOf(error: unknown): { index: number; type: string } | undefined {
  if (!(error instanceof BitmapistScriptError) || !(error.cause instanceof Error)) return undefined;
  const [code, index, type] = error.cause.message.split(' ');
  return code === 'BITMAPIST_WRONGTYPE' ? { index: Number(index), type: type ?? 'unknown' } : undefined;
}
