/**
 * Types of the Lua commands koa-bitmapist registers on an ioredis client with `defineCommand`
 * (see `lua/*.lua` for their KEYS, ARGV and replies). Each takes the number of keys first.
 */
import type { Result } from 'ioredis';

type ScriptArgument = string | number | Buffer;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    bitmapistMark(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number, Context>;
    bitmapistMarkMany(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<(number | string)[], Context>;
    bitmapistMarkNode(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<(number | string)[], Context>;
    bitmapistMarkMapped(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<(number | string)[], Context>;
    bitmapistMapIds(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number[], Context>;
    bitmapistEvaluate(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<(number | string)[], Context>;
    bitmapistEvaluateBuffer(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<(number | Buffer)[], Context>;
    bitmapistCohortRow(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number[], Context>;
    bitmapistCohortWindows(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number[], Context>;
    bitmapistForgetUser(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number, Context>;
    bitmapistUserBits(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number[], Context>;
    bitmapistRunProgram(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<number[], Context>;
    bitmapistReadBitmapsBuffer(numKeys: number, ...keysAndArgs: ScriptArgument[]): Result<(number | Buffer)[], Context>;
  }
}

export {};
