/** Repeated measurements of one task: latency samples plus the Redis commands the task caused. */
import type { Redis } from 'ioredis';
import { countCommands } from './redis-stats.js';
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
