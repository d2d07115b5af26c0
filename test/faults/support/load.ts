import { fork } from 'node:child_process';
import { once } from 'node:events';

/** What {@link runLoad} asks of the load client. */
export interface LoadOptions {
  /** Requested as `${url}${uid}`. */
  url: string;
  clients: number;
  /** The load stops after this long... */
  durationMs: number;
  /** ...or after this many requests. */
  maxRequests?: number;
  firstUid: number;
  /** Each request must answer 200 with exactly this body to count as a success. */
  expectBody: string;
}

/** One request of the load. Times are epoch ms (fractional), comparable with `Date.now()`. */
export interface RequestRecord {
  uid: number;
  start: number;
  ms: number;
  ok: boolean;
}

/** A running load: `started` resolves when the clients start, `done` with every request. */
export interface Load {
  started: Promise<number>;
  done: Promise<{ requests: RequestRecord[]; errors: string[] }>;
  /** Kills the load client if it still runs (for a test that failed half-way). */
  stop(): void;
}

/** Starts `load-client.ts` in a child process. */
export function runLoad(options: LoadOptions): Load {
  const child = fork(new URL('./load-client.ts', import.meta.url), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const started = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message: { started: number }) => resolve(message.started));
  });
  const done = (async () => {
    await started;
    const [message] = (await once(child, 'message')) as [{ records: Float64Array; errors: string[] }];
    const requests: RequestRecord[] = [];
    const r = message.records;
    for (let i = 0; i < r.length; i += 4) requests.push({ uid: r[i]!, start: r[i + 1]!, ms: r[i + 2]!, ok: r[i + 3] === 1 });
    if (child.exitCode === null) await once(child, 'exit');
    return { requests, errors: message.errors };
  })();
  done.catch(() => undefined);
  return { started, done, stop: () => void (child.exitCode === null && child.signalCode === null && child.kill()) };
}
