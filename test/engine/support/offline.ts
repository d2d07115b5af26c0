import type { Bitmapist } from '../../../src/index.js';
import type { RedisServer } from '../../../src/testing/index.js';

/**
 * Kills `redis`, waits until `bm` has seen its connection go (`reachable` false), then records the name of every
 * command `bm`'s client is asked to send from then on: the list it resolves to.
 */
export async function killAndRecordSent(bm: Bitmapist<never>, redis: RedisServer): Promise<string[]> {
  await redis.kill();
  while (bm.reachable) await new Promise((resolve) => setTimeout(resolve, 10));
  const sent: string[] = [];
  const send = bm.redis.sendCommand.bind(bm.redis);
  bm.redis.sendCommand = ((command: { name: string }) => {
    sent.push(command.name);
    return send(command as never);
  }) as typeof bm.redis.sendCommand;
  return sent;
}
