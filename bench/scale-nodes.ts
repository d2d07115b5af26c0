/**
 * What the Redis servers behind one target (a single server, or every master of a cluster) say about a
 * stretch of work, added up over the servers: script calls (`INFO commandstats`), the longest single script
 * call (`SLOWLOG`), memory (`INFO memory`); and PING latency from another client meanwhile.
 */
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { commandDelta, commandStats, usedMemory, type CommandStats } from './redis-stats.js';
import { percentile } from './timing.js';

/** The longest script call and its spread, in microseconds. */
export interface ScriptCalls {
  /** Script calls (EVALSHA + EVAL) over every server. */
  calls: number;
  /** Every command Redis ran (those inside scripts included, the bench's observing ones left out), over every server. */
  commands: number;
  /** Microseconds Redis spent in them. */
  usec: number;
  longestUsec: number;
  p99Usec: number;
  /** Script calls logged, and how many of them took over 5 ms. */
  logged: number;
  over5ms: number;
}

/** Plain connections to every server of a target, used only to observe it. */
export class ObservedNodes {
  private constructor(readonly clients: Redis[]) {}

  static async connect(nodes: readonly { host: string; port: number }[]): Promise<ObservedNodes> {
    const clients = nodes.map(({ host, port }) => new Redis({ host, port }));
    await Promise.all(clients.map((client) => client.ping()));
    return new ObservedNodes(clients);
  }

  /** `INFO commandstats` of every server. */
  async commandStats(): Promise<CommandStats[]> {
    return Promise.all(this.clients.map((client) => commandStats(client)));
  }

  /** Script calls (EVALSHA + EVAL) over every server since a {@link commandStats} snapshot. */
  async scriptCallsSince(before: CommandStats[]): Promise<number> {
    const after = await this.commandStats();
    return after.reduce((n, stats, i) => n + commandDelta(before[i]!, stats).scriptCalls, 0);
  }

  /** The sum of `used_memory` over the servers. */
  async usedMemory(): Promise<number> {
    return (await Promise.all(this.clients.map((client) => usedMemory(client)))).reduce((a, b) => a + b, 0);
  }

  /**
   * Runs `work` with every command logged (`slowlog-log-slower-than 0`) and counted, and returns the script
   * calls it caused on every server.
   */
  async scriptCalls<T>(work: () => Promise<T>): Promise<{ value: T; scripts: ScriptCalls }> {
    const saved = await Promise.all(this.clients.map(async (client) => {
      const [, threshold] = (await client.config('GET', 'slowlog-log-slower-than')) as [string, string];
      const [, maxLen] = (await client.config('GET', 'slowlog-max-len')) as [string, string];
      await client.config('SET', 'slowlog-max-len', '100000');
      await client.config('SET', 'slowlog-log-slower-than', '0');
      await client.slowlog('RESET');
      return [threshold, maxLen] as const;
    }));
    try {
      const before: CommandStats[] = await Promise.all(this.clients.map((client) => commandStats(client)));
      const value = await work();
      const after = await Promise.all(this.clients.map((client) => commandStats(client)));
      const durations: number[] = [];
      for (const client of this.clients) {
        const entries = (await client.slowlog('GET', '-1')) as [number, number, number, (string | Buffer)[]][];
        for (const [, , usec, args] of entries) {
          const name = String(args[0]).toLowerCase();
          // Script calls, and the MULTI/EXEC a small cohort reads its windows with: each holds Redis alone.
          if (name === 'evalsha' || name === 'eval' || name === 'exec') durations.push(usec);
        }
      }
      durations.sort((a, b) => a - b);
      let calls = 0;
      let commands = 0;
      let usec = 0;
      after.forEach((stats, i) => {
        const delta = commandDelta(before[i]!, stats);
        calls += delta.scriptCalls;
        commands += delta.commands;
        usec += delta.scriptUsec;
      });
      const scripts = {
        calls,
        commands,
        usec,
        longestUsec: durations.at(-1) ?? 0,
        p99Usec: percentile(durations, 0.99) || 0,
        logged: durations.length,
        over5ms: durations.filter((d) => d > 5000).length,
      };
      return { value, scripts };
    } finally {
      await Promise.all(this.clients.map(async (client, i) => {
        await client.config('SET', 'slowlog-log-slower-than', saved[i]![0]);
        await client.config('SET', 'slowlog-max-len', saved[i]![1]);
        await client.slowlog('RESET');
      }));
    }
  }

  /** Empties every server (only servers the bench started). */
  async flush(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.flushall('SYNC')));
  }

  disconnect(): void {
    for (const client of this.clients) client.disconnect();
  }
}

/**
 * The PING loop, in a worker thread so that the bench's own event loop never delays it: one raw connection
 * per server, a PING to each about every millisecond, each reply timed.
 */
const PINGER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const latencies = [];
let stopped = false;
parentPort.on('message', () => { stopped = true; });
const sockets = workerData.nodes.map(({ host, port }) => net.connect({ host, port, noDelay: true }));
function ping(socket) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let reply = '';
    const onData = (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('\\r\\n')) { socket.off('data', onData); latencies.push(performance.now() - start); resolve(); }
    };
    socket.on('data', onData);
    socket.write('PING\\r\\n', (error) => error && reject(error));
  });
}
(async () => {
  await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('connect', resolve))));
  parentPort.postMessage('ready');
  while (!stopped) {
    const round = performance.now();
    await Promise.all(sockets.map(ping));
    const wait = 1 - (performance.now() - round);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  for (const s of sockets) s.destroy();
  parentPort.postMessage(Float64Array.from(latencies));
})().catch((error) => parentPort.postMessage(String(error)));
`;

/** PING latencies (ms) from another client while `work` runs: every server about every millisecond. */
export async function pingWhile<T>(nodes: readonly { host: string; port: number }[], work: () => Promise<T>): Promise<{ value: T; pings: Float64Array }> {
  const worker = new Worker(PINGER, { eval: true, workerData: { nodes } });
  const messages: unknown[] = [];
  let notify: (() => void) | undefined;
  worker.on('message', (message) => {
    messages.push(message);
    notify?.();
  });
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => (notify = resolve));
    const message = messages.shift();
    if (typeof message === 'string' && message !== 'ready') throw new Error(`PING worker: ${message}`);
    return message;
  };
  try {
    await next();
    const value = await work();
    worker.postMessage('stop');
    const pings = (await next()) as Float64Array;
    return { value, pings: Float64Array.from(pings).sort() };
  } finally {
    await worker.terminate();
  }
}
