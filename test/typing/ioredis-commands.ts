/**
 * Compile-only test of the ioredis augmentation in src/engine/ioredis-commands.ts: `tsc --noEmit` (part of
 * `npm test`) fails if the custom commands lose their types. Nothing here runs.
 */
import type { Redis } from 'ioredis';
import '../../src/engine/redis/ioredis-commands.js';

export async function typedCommands(redis: Redis): Promise<void> {
  const changed: number = await redis.bitmapistMark(1, 'key', 42, 1, 100);
  const written: (number | string)[] = await redis.bitmapistMarkMany(1, 'key', 1, 100, 1, 42, 1);
  const row: number[] = await redis.bitmapistCohortRow(5, 'p', 's1', 's2', 's3', 's4', 'first', 1000, 1, 0, 0);
  const windows: number[] = await redis.bitmapistCohortWindows(1, 'p', 0);
  const cleared: number = await redis.bitmapistForgetUser(1, 'key', 42);
  const holding: number[] = await redis.bitmapistUserBits(1, 'key', 42);
  const ran: number[] = await redis.bitmapistRunProgram(2, 'k', 'r', 1, 0, 0, 1000, 1000, 1, 2 ** 20, 'L', 1, 1);
  const bitmap: (number | Buffer)[] = await redis.bitmapistEvaluateBuffer(2, 'k', 's', 1, 'bitmap', 0, 1000, -1, 1000, 1, '', 'k1');
  // @ts-expect-error the number of keys comes first and is a number
  await redis.bitmapistMark('key', 42);
  // @ts-expect-error its reply is a number, not a string
  const wrong: string = await redis.bitmapistMark(1, 'key', 42, 1, 100);
  void [changed, written, row, windows, cleared, holding, ran, bitmap, wrong];
}
