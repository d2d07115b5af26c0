/** Repeated measurements of one task: latency samples plus the Redis commands the task caused. */
import type { Redis } from 'ioredis';
import { countCommands, slowestScriptCall } from './redis-stats.js';
import { summarize } from './timing.js';

/** Runs a task one sample at a time, timing it and counting the Redis commands it caused. */
export class Sampler<T> {
  last: T | undefined;
  commands = 0;
  scriptCalls = 0;
  scriptUsec = 0;
  private readonly samples: number[] = [];

  constructor(readonly task: () => Promise<T>) {}

  async sample(redis: Redis): Promise<void> {
    const { value, delta } = await countCommands(redis, async () => {
      const start = performance.now();
      this.last = await this.task();
      return performance.now() - start;
    });
    this.samples.push(value);
    this.commands += delta.commands;
    this.scriptCalls += delta.scriptCalls;
    this.scriptUsec += delta.scriptUsec;
  }

  get latency() {
    return summarize(this.samples);
  }
}

/**
 * Warms both tasks up, then samples `ours` `runs` times and `baseline` after every `runs / baselineRuns`-th of
 * them, so both see the same machine load; SLOWLOG is on for our runs only (logging each command of a naive
 * baseline would slow it down). Answers the slowest script call of ours.
 */
export async function sampleInterleaved(redis: Redis, ours: Sampler<unknown>, baseline: Sampler<unknown>, runs: number, baselineRuns: number) {
  await ours.task();
  await baseline.task();
  const { slowest } = await slowestScriptCall(redis, async (slowlog) => {
    for (let run = 0; run < runs; run += 1) {
      await ours.sample(redis);
      if (run % (runs / baselineRuns) === 0) {
        await slowlog.off();
        await baseline.sample(redis);
        await slowlog.on();
      }
    }
  });
  return slowest;
}
