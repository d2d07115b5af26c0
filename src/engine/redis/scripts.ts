import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { BitmapistArgumentError, BitmapistScriptError } from '../errors.js';
import './ioredis-commands.js';
import { keysOf, takeIssuedCall, takeIssuedSite, timedCommand } from './script-timing.js';
import { namedReadError } from './wrong-type.js';

/** A client our commands can be defined on: a single Redis or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Our Lua commands: the file in `lua/` and the name it is registered under on the client. */
const COMMANDS = {
  bitmapistMark: 'mark.lua',
  bitmapistMarkMany: 'mark_many.lua',
  bitmapistMarkNode: 'mark_node.lua',
  bitmapistMarkMapped: 'mark_mapped.lua',
  bitmapistMapIds: 'map_ids.lua',
  bitmapistEvaluate: 'evaluate.lua',
  bitmapistCohortRow: 'cohort_row.lua',
  bitmapistCohortWindows: 'cohort_windows.lua',
  bitmapistForgetUser: 'forget_user.lua',
  bitmapistUserBits: 'user_bits.lua',
  bitmapistRunProgram: 'run_program.lua',
  bitmapistReadBitmaps: 'read_bitmaps.lua',
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
 * EVAL once after a NOSCRIPT, so a restarted or flushed server needs nothing from us. Each command (and its
 * `Buffer` twin) tells {@link runScript} which script a call is, for the observers of `observeScriptCalls`.
 * They are kept out of ioredis's auto-pipelines ({@link sendAsIssued}).
 */
export function defineCommands(client: RedisClient): void {
  const methods = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [name, lua] of loadSources()) {
    if (typeof methods[name] !== 'function') {
      client.defineCommand(name, { lua });
      const script = COMMANDS[name as keyof typeof COMMANDS].replace(/\.lua$/, '');
      for (const method of [name, `${name}Buffer`]) methods[method] = timedCommand(client, script, methods[method]!);
    }
  }
  sendAsIssued(client);
}

/**
 * Adds our commands to the client's `autoPipeliningIgnoredCommands`, so that with `enableAutoPipelining` each
 * call is still sent when issued, routed by its keys. ioredis files a `defineCommand` call in the auto-pipeline
 * of the slot of its first argument, which is the number of keys, not a key: on a Cluster, calls for blocks on
 * different masters share a pipeline, and ioredis refuses it whole ("All keys in the pipeline should belong to
 * the same slots allocation group"). The engine batches its calls itself (one mark call per master, each
 * master's calls in one write), so auto-pipelines would add nothing but a turn of the event loop.
 */
function sendAsIssued(client: RedisClient): void {
  const ignored = client.options.autoPipeliningIgnoredCommands ?? [];
  const missing = Object.keys(COMMANDS).filter((name) => !ignored.includes(name));
  // A new array: ioredis's default one is shared by every client of the process.
  if (missing.length > 0) client.options.autoPipeliningIgnoredCommands = [...ignored, ...missing];
}

/**
 * The one door every script call goes through: a `BITMAPIST_BADARG` reply becomes a
 * {@link BitmapistArgumentError}, a `WRONGTYPE` one a `BitmapistWrongTypeError` naming the key (looked up
 * among the call's keys), any other script error a {@link BitmapistScriptError}.
 * Connection errors pass through unchanged. When its client is observed (`observeScriptCalls`), the call's
 * duration is reported, whatever its outcome: a clock read before and after.
 */
export async function runScript<T>(call: Promise<T>): Promise<T> {
  const issued = takeIssuedCall(call);
  const site = takeIssuedSite(call);
  const started = site === undefined ? 0 : performance.now();
  try {
    return await call;
  } catch (error) {
    if (error instanceof Error && error.name === 'ReplyError') {
      const [code, ...rest] = error.message.split(' ');
      if (code === 'BITMAPIST_BADARG') {
        throw new BitmapistArgumentError('script', rest.join(' '));
      }
      // Redis does not say which key: the first of the call's keys that holds another type.
      if (code === 'WRONGTYPE') throw await namedReadError(error, issued?.client as Redis, issued ? keysOf(issued) : []);
      throw new BitmapistScriptError(error.message, { cause: error });
    }
    throw error;
  } finally {
    site?.report(started);
  }
}
