/**
 * The example app in a process of its own for the HTTP benchmark (so the load generator does not share
 * its event loop). Env: BENCH_REDIS_URL, BENCH_KEY_PREFIX, BENCH_MARKED (1: `/` marked, 0: unmarked).
 * Prints `listening <port>` once ready; on SIGUSR2 prints `cpu <µs>`, the CPU time (user + system) used so
 * far; on SIGTERM closes the plugin (which writes the queued marks) and prints `closed`.
 */
import type { AddressInfo } from 'node:net';
import { createExampleApp } from '../examples/app.js';

const { app, bitmapist } = createExampleApp({
  withMarks: process.env.BENCH_MARKED === '1',
  bitmapist: {
    redisUrl: process.env.BENCH_REDIS_URL,
    keyPrefix: process.env.BENCH_KEY_PREFIX,
    logger: { warn: () => undefined },
  },
});
app.on('error', (error: unknown) => console.error('app error:', error));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`cpu ${cpu.user + cpu.system}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  bitmapist.close().then(
    () => {
      process.stdout.write('closed\n');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
