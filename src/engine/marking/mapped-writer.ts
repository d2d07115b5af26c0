import { BitmapistKeyTypeError } from '../errors.js';
import { idMapCall, type IdMap } from '../ids/id-map.js';
import type { PendingMark } from './batcher.js';
import type { RedisClient } from '../redis/scripts.js';

/**
 * Mapped ids in the compatible layout: writes a batch's marks with one lua/mark_mapped.lua call that finds
 * or allocates each id's integer and sets its bits, remembers the integers, and resolves to the errors of the
 * marks refused because a key is not a bitmap, by key list. Any other failure of the call rejects (a full map
 * with a `BitmapistLimitError`, another id mode with a `BitmapistIdModeError`).
 */
export async function writeMappedBatch(
  redis: RedisClient,
  idMap: IdMap,
  bit: 0 | 1,
  marks: readonly PendingMark[],
): Promise<Map<readonly string[], BitmapistKeyTypeError>> {
  const groups = new Map<readonly string[], string[]>();
  for (const { keys, id } of marks) {
    const ids = groups.get(keys);
    if (ids) ids.push(id!);
    else groups.set(keys, [id!]);
  }
  const map = idMap.shardKeys(0);
  const fixedKeys = [idMap.modeKey, map.ids, map.uids, map.seq];
  const keyIndex = new Map<string, number>();
  const args: (string | number)[] = [bit, idMap.maxInteger, groups.size];
  for (const [keys, ids] of groups) {
    const indexes = keys.map((key) => {
      let index = keyIndex.get(key);
      if (index === undefined) keyIndex.set(key, (index = keyIndex.size + 5));
      return index;
    });
    args.push(indexes.join(','), ids.length, ...ids);
  }
  const allKeys = [...fixedKeys, ...keyIndex.keys()];
  const epoch = idMap.epoch;
  const reply = await idMapCall(redis.bitmapistMarkMapped(allKeys.length, ...allKeys, ...args), allKeys);
  const refused = new Map<readonly string[], BitmapistKeyTypeError>();
  const groupKeys = [...groups.keys()];
  const refusedCount = Number(reply[1]);
  for (let r = 0; r < refusedCount; r++) {
    const [group, index, type] = reply.slice(2 + 3 * r, 5 + 3 * r);
    refused.set(groupKeys[Number(group) - 1]!, new BitmapistKeyTypeError(allKeys[Number(index) - 1]!, String(type)));
  }
  let at = 2 + 3 * refusedCount;
  for (const ids of groups.values()) {
    for (const id of ids) {
      const integer = Number(reply[at++]);
      if (integer >= 0) idMap.rememberAnswer(epoch, id, integer);
    }
  }
  return refused;
}
