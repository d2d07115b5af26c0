import { BitmapistKeyTypeError } from '../errors.js';
import { idMapCall, MAP_FULL, mapFullError, type IdMap } from '../ids/id-map.js';
import type { PendingMark } from './batcher.js';
import type { RedisClient } from '../redis/scripts.js';

/**
 * Mapped ids in the compatible layout: writes a batch's marks with one lua/mark_mapped.lua call that finds
 * or allocates each id's integer and sets its bits, remembers the integers, and resolves to each mark's
 * refusal, in order (undefined: written): a {@link BitmapistKeyTypeError} when a key is not a bitmap, a
 * `BitmapistLimitError` when its new id found the map full. Any other failure of the call rejects (another id
 * mode with a `BitmapistIdModeError`).
 */
export async function writeMappedBatch(
  redis: RedisClient,
  idMap: IdMap,
  bit: 0 | 1,
  marks: readonly PendingMark[],
): Promise<(Error | undefined)[]> {
  /** Per distinct key list, its marks' positions in `marks`. */
  const groups = new Map<readonly string[], number[]>();
  marks.forEach(({ keys }, i) => {
    const positions = groups.get(keys);
    if (positions) positions.push(i);
    else groups.set(keys, [i]);
  });
  const map = idMap.shardKeys(0);
  const fixedKeys = [idMap.modeKey, map.ids, map.uids, map.seq];
  const keyIndex = new Map<string, number>();
  const args: (string | number)[] = [bit, idMap.maxInteger, groups.size];
  for (const [keys, positions] of groups) {
    const indexes = keys.map((key) => {
      let index = keyIndex.get(key);
      if (index === undefined) keyIndex.set(key, (index = keyIndex.size + 5));
      return index;
    });
    args.push(indexes.join(','), positions.length, ...positions.map((i) => marks[i]!.id!));
  }
  const allKeys = [...fixedKeys, ...keyIndex.keys()];
  const epoch = idMap.epoch;
  const reply = await idMapCall(redis.bitmapistMarkMapped(allKeys.length, ...allKeys, ...args), allKeys);
  const refusals: (Error | undefined)[] = new Array(marks.length).fill(undefined);
  const groupPositions = [...groups.values()];
  const refusedCount = Number(reply[1]);
  for (let r = 0; r < refusedCount; r++) {
    const [group, index, type] = reply.slice(2 + 3 * r, 5 + 3 * r);
    const error = new BitmapistKeyTypeError(allKeys[Number(index) - 1]!, String(type));
    for (const i of groupPositions[Number(group) - 1]!) refusals[i] = error;
  }
  let at = 2 + 3 * refusedCount;
  for (const positions of groupPositions) {
    for (const i of positions) {
      const integer = Number(reply[at++]);
      if (integer >= 0) idMap.rememberAnswer(epoch, marks[i]!.id!, integer);
      else if (integer === MAP_FULL) refusals[i] = mapFullError(idMap.maxInteger);
    }
  }
  return refusals;
}
