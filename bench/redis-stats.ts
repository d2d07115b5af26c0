/**
 * What Redis itself says about a stretch of work: commands run (`INFO commandstats`, which also counts
 * the commands a Lua script runs), script calls, the longest single call (`SLOWLOG`), memory (`INFO memory`).
 */
import type { Redis } from 'ioredis';

/** Calls and microseconds per command name. */
export type CommandStats = Map<string, { calls: number; usec: number }>;

/** Commands the bench itself sends to look at the server; left out of every count. */
const OBSERVER_COMMANDS = new Set(['info', 'config|set', 'config|get', 'slowlog|get', 'slowlog|reset', 'slowlog|len', 'memory|usage', 'scan', 'ping', 'client|setname', 'client|setinfo', 'select']);

/** Script calls: what each round trip of ours is. */
const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'fcall']);

/** Reads `INFO commandstats`. */
export async function commandStats(redis: Redis): Promise<CommandStats> {
  const info = await redis.info('commandstats');
  const stats: CommandStats = new Map();
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

/** What ran between two snapshots. */
export interface CommandDelta {
  /** Every command Redis ran, including those run inside scripts (observer commands excluded). */
  commands: number;
  /** Script calls (EVALSHA/EVAL). */
  scriptCalls: number;
  /** Microseconds Redis spent in script calls. */
  scriptUsec: number;
  /** Calls per command name. */
  byCommand: Record<string, number>;
}

/** The difference between two `commandStats` snapshots. */
export function commandDelta(before: CommandStats, after: CommandStats): CommandDelta {
  const delta: CommandDelta = { commands: 0, scriptCalls: 0, scriptUsec: 0, byCommand: {} };
  for (const [name, { calls, usec }] of after) {
    const previous = before.get(name) ?? { calls: 0, usec: 0 };
    const n = calls - previous.calls;
    if (n === 0 || OBSERVER_COMMANDS.has(name)) continue;
    delta.byCommand[name] = n;
    delta.commands += n;
    if (SCRIPT_COMMANDS.has(name)) {
      delta.scriptCalls += n;
      delta.scriptUsec += usec - previous.usec;
    }
  }
  return delta;
}

/** Runs `work` and returns its result with the commands Redis ran meanwhile. */
export async function countCommands<T>(redis: Redis, work: () => Promise<T>): Promise<{ value: T; delta: CommandDelta }> {
  const before = await commandStats(redis);
  const value = await work();
  return { value, delta: commandDelta(before, await commandStats(redis)) };
}

/** The longest single script call seen while `work` ran, in microseconds (from SLOWLOG). */
export interface SlowestCall {
  usec: number;
  /** The 99th percentile of the script calls' durations, in microseconds. */
  p99Usec: number;
  /** Script calls longer than 5 ms. */
  over5ms: number;
  /** The first arguments of that call (command, sha, ...). */
  command: string;
  /** Script calls logged. */
  logged: number;
  /** How it was measured. */
  source: 'slowlog' | 'commandstats-mean';
}

/** Switches the logging of {@link slowestScriptCall} off and on (e.g. around a naive run). */
export interface SlowlogSwitch {
  off(): Promise<void>;
  on(): Promise<void>;
}

/**
 * Logs every command while `work` runs (`slowlog-log-slower-than 0`; `work` may switch it off meanwhile)
 * and returns the longest script call. When the server refuses CONFIG SET, falls back to the mean script
 * call time from commandstats.
 */
export async function slowestScriptCall<T>(
  redis: Redis,
  work: (slowlog: SlowlogSwitch) => Promise<T>,
): Promise<{ value: T; slowest: SlowestCall }> {
  let saved: [string, string] | undefined;
  try {
    const [, threshold] = (await redis.config('GET', 'slowlog-log-slower-than')) as [string, string];
    const [, maxLen] = (await redis.config('GET', 'slowlog-max-len')) as [string, string];
    saved = [threshold, maxLen];
    await redis.config('SET', 'slowlog-max-len', '20000');
    await redis.config('SET', 'slowlog-log-slower-than', '0');
    await redis.slowlog('RESET');
  } catch {
    saved = undefined;
  }
  if (saved === undefined) {
    const { value, delta } = await countCommands(redis, () => work({ off: async () => undefined, on: async () => undefined }));
    const usec = delta.scriptCalls > 0 ? delta.scriptUsec / delta.scriptCalls : 0;
    return {
      value,
      slowest: { usec, p99Usec: usec, over5ms: 0, command: 'mean of script calls', logged: delta.scriptCalls, source: 'commandstats-mean' },
    };
  }
  try {
    const value = await work({
      off: async () => void (await redis.config('SET', 'slowlog-log-slower-than', '-1')),
      on: async () => void (await redis.config('SET', 'slowlog-log-slower-than', '0')),
    });
    const entries = (await redis.slowlog('GET', '-1')) as [number, number, number, (string | Buffer)[]][];
    let slowest: SlowestCall = { usec: 0, p99Usec: 0, over5ms: 0, command: '', logged: 0, source: 'slowlog' };
    const durations: number[] = [];
    for (const [, , usec, args] of entries) {
      const name = String(args[0]).toLowerCase();
      if (!SCRIPT_COMMANDS.has(name)) continue;
      durations.push(usec);
      if (usec > slowest.usec) slowest = { ...slowest, usec, command: args.slice(0, 6).map(String).join(' ') };
    }
    durations.sort((a, b) => a - b);
    slowest.logged = durations.length;
    slowest.p99Usec = durations[Math.max(0, Math.ceil(durations.length * 0.99) - 1)] ?? 0;
    slowest.over5ms = durations.filter((usec) => usec > 5000).length;
    return { value, slowest };
  } finally {
    await redis.config('SET', 'slowlog-log-slower-than', saved[0]);
    await redis.config('SET', 'slowlog-max-len', saved[1]);
    await redis.slowlog('RESET');
  }
}

/** `used_memory` from `INFO memory`, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/** The Redis version and a few server facts for the machine description. */
export async function serverInfo(redis: Redis): Promise<{ version: string; allocator: string }> {
  const info = await redis.info('server');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
  return { version: field('redis_version'), allocator: (await redis.info('memory')).match(/^mem_allocator:(.*)$/m)?.[1]?.trim() ?? '?' };
}
