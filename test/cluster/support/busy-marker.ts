/**
 * A second process for the forgetUser Cluster test: marks other users without pause, through its own
 * Bitmapist (sharded layout, shardBits 8) on the Cluster, until its stdin closes; then prints the number of
 * marks it wrote. It prints `ready` once its first batch is written. Mark i is `markOf(i)` of busy-marks.ts.
 * Arguments: the Cluster nodes (`host:port,...`), the key prefix.
 */
import { Cluster } from 'ioredis';
import { Bitmapist } from '../../../src/index.js';
import { markOf } from './busy-marks.js';

const [nodes, keyPrefix] = process.argv.slice(2);
const cluster = new Cluster(nodes!.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
const bm = new Bitmapist({ redis: cluster, keyPrefix: keyPrefix!, layout: 'sharded', shardBits: 8 });
let stopping = false;
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => (stopping = true));

let written = 0;
while (!stopping) {
  const batch = Array.from({ length: 200 }, (_, i) => markOf(written + i));
  written += await bm.markEvents(batch);
  if (written === 200) process.stdout.write('ready\n');
}
process.stdout.write(`${written}\n`);
await cluster.quit();
