/**
 * Notices when the processes that launched the demo are gone. `npm run demo` starts
 * npm -> sh -> tsx -> node: a SIGHUP to npm kills npm alone, and a SIGTERM is forwarded to sh alone, so
 * the demo would run on (with its redis-server) unless it watches its launchers. Linux (/proc) only;
 * elsewhere only the direct parent is watched, through `process.ppid`.
 */
import { readFileSync } from 'node:fs';

interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The start time in clock ticks since boot: tells a process from a later one with the same pid. */
  started: string;
  zombie: boolean;
  command: string;
}

/** The most launchers watched: npm, sh, tsx (and a spare). */
const MAX_LAUNCHERS = 4;

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { pid, ppid: Number(fields[1]), started: fields[19]!, zombie: fields[0] === 'Z', command };
  } catch {
    return undefined;
  }
}

/**
 * The launchers to watch: the parent and its ancestors up to the npm process that ran the script (when
 * there is one within {@link MAX_LAUNCHERS} levels), else the parent alone.
 */
function launchers(): ProcessInfo[] {
  const chain: ProcessInfo[] = [];
  let info = processInfo(process.ppid);
  while (info && info.pid > 1 && chain.length < MAX_LAUNCHERS) {
    chain.push(info);
    if (/(^|[\s/])npm(-cli\.js)?\s/.test(info.command)) return chain;
    info = processInfo(info.ppid);
  }
  return chain.slice(0, 1);
}

/** Calls `onGone` once, when the parent or one of the launchers above it has exited. */
export function watchLaunchers(onGone: () => void, intervalMs = 500): void {
  const watched = launchers();
  const parent = process.ppid;
  const gone = () =>
    process.ppid !== parent ||
    watched.some((launcher) => {
      const now = processInfo(launcher.pid);
      return !now || now.zombie || now.started !== launcher.started;
    });
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
}
