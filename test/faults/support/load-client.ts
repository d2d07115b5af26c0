/**
 * A closed-loop HTTP load generator, run as a child process (see `runLoad`) so that its own work does not
 * queue behind the server's event loop: `clients` loops each GET `{url}{uid}` with a fresh uid until
 * `durationMs` has passed or `maxRequests` were sent, then send one record per request to the parent.
 */
import type { LoadOptions } from './load.js';

const options = JSON.parse(process.argv[2]!) as LoadOptions;
const records: number[] = [];
const errors: string[] = [];
const clock = () => performance.timeOrigin + performance.now();
let nextUid = options.firstUid;

const lastUid = options.firstUid + (options.maxRequests ?? Number.POSITIVE_INFINITY) - 1;

async function client(deadline: number): Promise<void> {
  while (clock() < deadline && nextUid <= lastUid) {
    const uid = nextUid++;
    const started = clock();
    let ok = 0;
    try {
      const response = await fetch(`${options.url}${uid}`);
      const body = await response.text();
      if (response.status === 200 && body === options.expectBody) ok = 1;
      else if (errors.length < 10) errors.push(`uid ${uid}: HTTP ${response.status} ${body.slice(0, 80)}`);
    } catch (error) {
      if (errors.length < 10) errors.push(`uid ${uid}: ${String(error)}`);
    }
    records.push(uid, started, clock() - started, ok);
  }
}

const deadline = clock() + options.durationMs;
process.send!({ started: clock() });
await Promise.all(Array.from({ length: options.clients }, () => client(deadline)));
process.send!({ records: Float64Array.from(records), errors }, () => process.connected && process.disconnect());
