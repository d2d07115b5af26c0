import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const RUN_PROGRAM_SHA = createHash('sha1').update(readFileSync(new URL('../../lua/run_program.lua', import.meta.url), 'utf8')).digest('hex');

/**
 * Watches the `run_program` calls a client sends while `fn` runs: `programs` counts the programs started (calls
 * whose first instruction is 1, one per program and block), `calls` all of them. How many calls a program takes
 * depends on the machine's speed (each stops at its time budget), so tests assert `programs` exactly and `calls`
 * only as a bound.
 */
export async function programCalls<T>(client: { sendCommand: (...args: any[]) => unknown }, fn: () => Promise<T>) {
  let programs = 0;
  let calls = 0;
  const original = client.sendCommand;
  client.sendCommand = function (this: unknown, command: { name: string; args: unknown[] }, ...rest: unknown[]) {
    if (command.name === 'evalsha' && String(command.args[0]) === RUN_PROGRAM_SHA) {
      calls += 1;
      // evalsha sha numkeys key... ARGV[1..]: ARGV[6] is the number of the first instruction sent.
      const keyCount = Number(command.args[1]);
      if (Number(command.args[2 + keyCount + 5]) === 1) programs += 1;
    }
    return original.call(this, command, ...rest);
  };
  try {
    return { result: await fn(), programs, calls };
  } finally {
    client.sendCommand = original;
  }
}
