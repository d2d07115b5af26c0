/**
 * A second process for the registry tests: a Bitmapist (sharded layout) that marks what its parent asks.
 * Reads JSON lines `{ "event", "uid", "now" }` on stdin, answers `ok` or `error <message>` per line.
 * Arguments: the Redis URL, the key prefix, shardBits.
 */
import { createInterface } from 'node:readline';
import { Bitmapist } from '../../../src/index.js';

const [url, keyPrefix, shardBits] = process.argv.slice(2);
const bm = new Bitmapist({ redis: url!, keyPrefix: keyPrefix!, layout: 'sharded', shardBits: Number(shardBits) });
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { event, uid, now } = JSON.parse(line) as { event: string; uid: number; now: string };
  bm.markEvent(event, uid, { now: new Date(now) }).then(
    () => process.stdout.write('ok\n'),
    (error: unknown) => process.stdout.write(`error ${String(error)}\n`),
  );
});
lines.on('close', () => void bm.close());
process.stdout.write('ready\n');
