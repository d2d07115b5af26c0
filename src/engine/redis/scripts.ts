import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { BitmapistArgumentError, BitmapistScriptError } from '../errors.js';
import './ioredis-commands.js';

/** A client our commands can be defined on: a single Redis or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Our Lua commands: the file in `lua/` and the name it is registered under on the client. */
const COMMANDS = {
  bitmapistMark: 'mark.lua',
  bitmapistMarkMany: 'mark_many.lua',
  bitmapistMarkMapped: 'mark_mapped.lua',
  bitmapistMapIds: 'map_ids.lua',
  bitmapistEvaluate: 'evaluate.lua',
  bitmapistCohortRow: 'cohort_row.lua',
  bitmapistCohortWindows: 'cohort_windows.lua',
  bitmapistForgetUser: 'forget_user.lua',
  bitmapistUserBits: 'user_bits.lua',
  bitmapistRunProgram: 'run_program.lua',
} as const;

const LUA_DIR = new URL('../../../lua/', import.meta.url);
let sources: Map<string, string> | undefined;

function loadSources(): Map<string, string> {
  sources ??= new Map(
    Object.entries(COMMANDS).map(([name, file]) => [name, readFileSync(fileURLToPath(new URL(file, LUA_DIR)), 'utf8')]),
  );
  return sources;
}

/**
 * Registers our Lua commands on a client (idempotent). ioredis sends them by EVALSHA and falls back to
 * EVAL once after a NOSCRIPT, so a restarted or flushed server needs nothing from us.
 */
export function defineCommands(client: RedisClient): void {
  for (const [name, lua] of loadSources()) {
    if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
      client.defineCommand(name, { lua });
    }
  }
}

/**
 * The one door every script call goes through: a `BITMAPIST_BADARG` reply becomes a
 * {@link BitmapistArgumentError}, any other script error a {@link BitmapistScriptError}.
 * Connection errors pass through unchanged.
 */
export async function runScript<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof Error && error.name === 'ReplyError') {
      const [code, ...rest] = error.message.split(' ');
      if (code === 'BITMAPIST_BADARG') {
        throw new BitmapistArgumentError('script', rest.join(' '));
      }
      throw new BitmapistScriptError(error.message, { cause: error });
    }
    throw error;
  }
}
