/**
 * Benchmark 5: the example app's `/` route with `mark('index:visited', ...)` against the same route without
 * it, each in a server process of its own (bench/http-server.ts) under the same autocannon load: 50
 * connections, 4 slices of 5 s per route in ABBAABBA order (so drift in the machine's load hits both
 * alike), after a warm-up. Two kinds of visitors:
 * - `session`: 50 logged-in demo users (a session cookie per connection), the case `mark()` is for;
 * - `?uid=`: anonymous requests naming a fresh user id in the query, the example's load-test convenience.
 * The marks are checked: exactly the 50 users, or one new bit per answered request; none when unmarked.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { CATEGORIES, timeByCategory, type Category } from './cpu-profile.js';
import { MismatchError } from './redis-stats.js';
import type { BenchRow, ReportNote, TargetResult } from './report.js';
import { ms, rate, summarize } from './timing.js';

const CONNECTIONS = 50;
/** Each route gets ORDER's slices of this many seconds: 4 x 5 s = 20 s per route. */
const DURATION_S = 5;
const WARM_UP_S = 2;
const EVENT = 'index:visited';
/** Load slices in ABBA order, twice: false = unmarked route, true = marked route. */
const ORDER = [false, true, true, false, false, true, true, false];
const SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A running example app. */
interface AppServer {
  port: number;
  /** The CPU time (user + system) it has used so far, in µs. */
  cpu(): Promise<number>;
  /** Stops it once its queued marks are written. */
  stop(): Promise<void>;
}

/** How the visitors of a scenario identify themselves. */
interface Scenario {
  name: string;
  /** The request a connection sends next (autocannon keeps one `context` per connection). */
  request(context: Record<string, unknown>): { path: string; headers?: Record<string, string> };
  /** Throws unless the marked route stored exactly what it should have. */
  check(ids: number[], marked: { issued: number; answered: number }): void;
}

interface Slice {
  answered: number;
  seconds: number;
  /** CPU time of the app server and of this process (the load generator) during the slice, in µs. */
  serverCpu: number;
  loadCpu: number;
  non2xx: number;
  errors: number;
  latencies: number[];
}

/**
 * With taskset and 2+ cores, the app gets core 0 and the load generator (this process) and Redis the
 * others, so our own processes do not take turns on the server's core. Returns a description, or
 * undefined when pinning is not possible.
 */
function pinCores(ctx: BenchContext, redisPid: number | undefined): string | undefined {
  const count = cpus().length;
  if (count < 2 || process.platform !== 'linux') return undefined;
  try {
    const others = `1-${count - 1}`;
    execFileSync('taskset', ['-a', '-p', '-c', others, String(process.pid)], { stdio: 'ignore' });
    if (redisPid !== undefined && ctx.ownsServer) execFileSync('taskset', ['-a', '-p', '-c', others, String(redisPid)], { stdio: 'ignore' });
    return `app server pinned to core 0; autocannon${ctx.ownsServer ? ' and Redis' : ''} to cores ${others} (taskset)`;
  } catch {
    return undefined;
  }
}

/** Gives this process all cores back. */
function unpinCores(): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
  } catch {
    // nothing was pinned
  }
}

/** Starts the example app (marked or not) in a child process, CPU-profiled into `profileDir`; resolves once it listens. */
async function startServer(ctx: BenchContext, marked: boolean, prefix: string, pinned: boolean, profileDir: string): Promise<AppServer> {
  const node = [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx', SERVER];
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(command!, args, {
    cwd: REPO,
    env: { ...process.env, NODE_ENV: 'production', BENCH_REDIS_URL: ctx.url, BENCH_KEY_PREFIX: prefix, BENCH_MARKED: marked ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`the example app exited with code ${code}`)));
  });
  exited.catch(() => undefined);
  const lines = createInterface({ input: child.stdout });
  const waitFor = (pattern: RegExp) =>
    Promise.race([
      exited,
      new Promise<RegExpMatchArray>((resolve) => {
        const onLine = (line: string) => {
          const match = pattern.exec(line);
          if (match) {
            lines.off('line', onLine);
            resolve(match);
          }
        };
        lines.on('line', onLine);
      }),
    ]);
  const [, port] = await waitFor(/^listening (\d+)$/);
  return {
    port: Number(port),
    async cpu() {
      const reply = waitFor(/^cpu (\d+)$/);
      child.kill('SIGUSR2');
      return Number((await reply)[1]);
    },
    async stop() {
      const closed = waitFor(/^closed$/);
      child.kill('SIGTERM');
      await closed;
      await exited.catch(() => undefined); // the profile is written on exit
    },
  };
}

/** One autocannon run. */
async function load(server: AppServer, seconds: number, next: Scenario['request']): Promise<Slice> {
  const { port } = server;
  const latencies: number[] = [];
  const serverCpu = await server.cpu();
  const loadCpu = process.cpuUsage();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [{ method: 'GET', setupRequest: (request, context) => ({ ...request, ...next(context as Record<string, unknown>) }) }],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const used = process.cpuUsage(loadCpu);
  return {
    answered: result['2xx'],
    seconds: result.duration || seconds,
    serverCpu: (await server.cpu()) - serverCpu,
    loadCpu: used.user + used.system,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencies,
  };
}

/** Logs demo users user1..userN in and returns their session cookies. */
async function sessionCookies(port: number, users: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: users }, async (_, i) => {
      const response = await fetch(`http://127.0.0.1:${port}/login`, {
        method: 'POST',
        body: new URLSearchParams({ username: `user${i + 1}`, password: 'demo' }),
        redirect: 'manual',
      });
      const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);
      if (response.status !== 302 || cookies.length === 0) throw new Error(`could not log user${i + 1} in (HTTP ${response.status})`);
      return cookies.join('; ');
    }),
  );
}

/** The users marked with the event under a prefix (the OR of its day bitmaps), ascending. */
async function markedIds(ctx: BenchContext, prefix: string): Promise<number[]> {
  const ids = new Set<number>();
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${prefix}${EVENT}_*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys.filter((k) => /_\d+-\d+-\d+$/.test(k))) {
      const bitmap = (await ctx.redis.getBuffer(key)) ?? Buffer.alloc(0);
      bitmap.forEach((byte, i) => {
        for (let bit = 0; bit < 8; bit += 1) if (byte & (0x80 >> bit)) ids.add(i * 8 + bit);
      });
    }
  } while (cursor !== '0');
  return [...ids].sort((a, b) => a - b);
}

/** Runs one scenario: both routes, warm-up, ABBA slices; checks the marks. */
async function runScenario(ctx: BenchContext, name: string, scenario: (marked: AppServer) => Promise<Scenario>, pinned: boolean) {
  const servers = new Map<boolean, AppServer>();
  const profiles = new Map<boolean, string>();
  const profileMs = new Map<boolean, Map<Category, number>>();
  const prefixes = new Map<boolean, string>();
  const slices = new Map<boolean, Slice[]>([[false, []], [true, []]]);
  const totals = new Map<boolean, { issued: number; answered: number }>([[false, { issued: 0, answered: 0 }], [true, { issued: 0, answered: 0 }]]);
  try {
    for (const marked of [false, true]) {
      const prefix = `${ctx.prefix}http_${name.replace(/\W/g, '')}_${marked ? 'marked' : 'unmarked'}_`;
      prefixes.set(marked, prefix);
      profiles.set(marked, mkdtempSync(join(tmpdir(), 'bitmapist-bench-profile-')));
      servers.set(marked, await startServer(ctx, marked, prefix, pinned, profiles.get(marked)!));
    }
    const visitors = await scenario(servers.get(true)!);
    const run = async (marked: boolean, seconds: number) => {
      const total = totals.get(marked)!;
      const slice = await load(servers.get(marked)!, seconds, (context) => {
        total.issued += 1;
        return visitors.request(context);
      });
      total.answered += slice.answered;
      return slice;
    };
    ctx.log(`HTTP ${name}: ${WARM_UP_S} s warm-up of each route`);
    for (const marked of [false, true]) await run(marked, WARM_UP_S);
    for (const marked of ORDER) {
      ctx.log(`HTTP ${name}: ${marked ? 'marked' : 'unmarked'} route, ${DURATION_S} s x ${CONNECTIONS} connections`);
      slices.get(marked)!.push(await run(marked, DURATION_S));
    }
    for (const marked of [false, true]) {
      const server = servers.get(marked)!;
      servers.delete(marked);
      await server.stop(); // writes what is still queued
    }
    for (const marked of [false, true]) profileMs.set(marked, timeByCategory(profiles.get(marked)!));
    const unmarkedIds = await markedIds(ctx, prefixes.get(false)!);
    if (unmarkedIds.length > 0) throw new MismatchError(`HTTP ${name}: the unmarked route stored ${unmarkedIds.length} marks`);
    visitors.check(await markedIds(ctx, prefixes.get(true)!), totals.get(true)!);
  } finally {
    for (const server of servers.values()) await server.stop().catch(() => undefined);
    for (const dir of profiles.values()) rmSync(dir, { recursive: true, force: true });
  }
  const summary = (marked: boolean) => {
    const all = slices.get(marked)!;
    const answered = all.reduce((sum, s) => sum + s.answered, 0);
    const seconds = all.reduce((sum, s) => sum + s.seconds, 0);
    const failed = all.reduce((sum, s) => sum + s.non2xx + s.errors, 0);
    if (failed > 0) throw new MismatchError(`HTTP ${name}: ${failed} failed requests on the ${marked ? 'marked' : 'unmarked'} route`);
    return {
      requestsPerS: answered / seconds,
      slices: all.map((s) => Math.round(s.answered / s.seconds)),
      latency: summarize(all.flatMap((s) => s.latencies)),
      cpuPerRequest: all.reduce((sum, s) => sum + s.serverCpu, 0) / answered,
      /** Profiled µs per answered request (warm-up included) by where the code lives. */
      profile: new Map([...profileMs.get(marked)!].map(([category, total]) => [category, (total * 1000) / totals.get(marked)!.answered])),
      /** Share of one core the app server and the load generator used. */
      serverBusy: all.reduce((sum, s) => sum + s.serverCpu, 0) / 1e6 / seconds,
      loadBusy: all.reduce((sum, s) => sum + s.loadCpu, 0) / 1e6 / seconds,
    };
  };
  return { marked: summary(true), unmarked: summary(false), totals: totals.get(true)! };
}

const SESSION_USERS = 50;

/** 50 logged-in users: each connection sends one user's session cookie. */
async function sessionScenario(marked: AppServer): Promise<Scenario> {
  const cookies = await sessionCookies(marked.port, SESSION_USERS);
  let next = 0;
  return {
    name: 'session',
    request: (context) => ({ path: '/', headers: { cookie: (context.cookie ??= cookies[next++ % cookies.length]) as string } }),
    check(ids) {
      const expected = Array.from({ length: SESSION_USERS }, (_, i) => i + 1);
      if (ids.join() !== expected.join()) throw new MismatchError(`HTTP session: marked users ${JSON.stringify(ids.slice(0, 60))}, expected 1..${SESSION_USERS}`);
    },
  };
}

/** Anonymous requests, each naming a fresh user id in `?uid=`. */
async function queryScenario(): Promise<Scenario> {
  let next = 1;
  return {
    name: '?uid=',
    request: () => ({ path: `/?uid=${next++}` }),
    check(ids, marked) {
      if (ids.length < marked.answered || ids.length > marked.issued) {
        throw new MismatchError(`HTTP ?uid=: ${ids.length} users marked for ${marked.answered} answered and ${marked.issued} issued requests`);
      }
    },
  };
}

const SCENARIOS = [
  { name: 'session', scenario: sessionScenario, what: `${SESSION_USERS} logged-in users (session cookie)` },
  { name: '?uid=', scenario: queryScenario, what: 'anonymous, fresh `?uid=` per request' },
] as const;

export async function benchHttp(ctx: BenchContext): Promise<BenchOutput> {
  const rows: BenchRow[] = [];
  const targets: TargetResult[] = [];
  const cpuLines: string[] = [];
  const redisPid = Number(/^process_id:(\d+)/m.exec(await ctx.redis.info('server'))?.[1]) || undefined;
  const pinning = pinCores(ctx, redisPid);
  const results: Awaited<ReturnType<typeof runScenario>>[] = [];
  try {
    for (const { name, scenario } of SCENARIOS) results.push(await runScenario(ctx, name, scenario, pinning !== undefined));
  } finally {
    unpinCores();
  }
  SCENARIOS.forEach(({ name, what }, i) => {
    const { marked, unmarked, totals } = results[i]!;
    const ratio = marked.requestsPerS / unmarked.requestsPerS;
    const row = (impl: string, r: typeof marked, note: string): BenchRow => ({
      section: '5. HTTP',
      case: `GET / ${name}, ${CONNECTIONS} conn., ${ORDER.length / 2} x ${DURATION_S} s`,
      impl,
      dataSet: 'n/a',
      rate: `${rate(r.requestsPerS)} req`,
      median: ms(r.latency.medianMs),
      p95: ms(r.latency.p95Ms),
      note: `${note}; slices ${r.slices.join(', ')}/s; server CPU ${num(r.cpuPerRequest, 1)} µs/request`,
    });
    rows.push(
      row('marked', marked, `${times(ratio)} of unmarked; marks checked (${num(totals.answered)} requests)`),
      row('unmarked', unmarked, 'same route without mark()'),
    );
    targets.push({
      target: `The marked route keeps at least 90% of the unmarked route's requests/s (${what})`,
      measured: `${(ratio * 100).toFixed(1)}% (${rate(marked.requestsPerS)} vs ${rate(unmarked.requestsPerS)})`,
      met: ratio >= 0.9,
      limit:
        `the app's CPU per request: ${num(unmarked.cpuPerRequest, 1)} µs unmarked, ${num(marked.cpuPerRequest, 1)} µs marked `
        + `(+${((marked.cpuPerRequest / unmarked.cpuPerRequest - 1) * 100).toFixed(0)}%); the app used `
        + `${(unmarked.serverBusy * 100).toFixed(0)}% / ${(marked.serverBusy * 100).toFixed(0)}% of its core `
        + "(under 100%: the machine gave the rest to other processes); see where the app's time goes below",
    });
    const busy = (r: typeof marked) => `app ${(r.serverBusy * 100).toFixed(0)}%, autocannon ${(r.loadBusy * 100).toFixed(0)}% of a core`;
    cpuLines.push(
      `- ${what}: ${num(unmarked.cpuPerRequest, 1)} µs unmarked, ${num(marked.cpuPerRequest, 1)} µs marked `
        + `(+${num(marked.cpuPerRequest - unmarked.cpuPerRequest, 1)} µs per request); busy: unmarked ${busy(unmarked)}, `
        + `marked ${busy(marked)}`,
    );
  });
  const profileLines = SCENARIOS.flatMap(({ what }, i) => {
    const { marked, unmarked } = results[i]!;
    return [
      '',
      `${what}:`,
      '',
      '| where | unmarked, µs/request | marked, µs/request | marked − unmarked |',
      '|---|---|---|---|',
      ...CATEGORIES.map((category) => {
        const [u, m] = [unmarked.profile.get(category) ?? 0, marked.profile.get(category) ?? 0];
        return `| ${category} | ${num(u, 1)} | ${num(m, 1)} | ${m - u >= 0 ? '+' : ''}${num(m - u, 1)} |`;
      }),
    ];
  });
  const note: ReportNote = {
    title: 'HTTP server CPU per request (benchmark 5)',
    lines: [
      'The app runs in a process of its own; its CPU time (`process.cpuUsage()`) during the measured slices per answered '
        + 'request is steadier than requests/s on a shared machine. "busy" is the CPU time of the app and of autocannon '
        + 'over the slices: a process near 100% of a core is the bottleneck.',
      '',
      ...cpuLines,
      '',
      `Placement: ${pinning ?? 'not pinned (no taskset or a single core)'}.`,
    ],
  };
  const profileNote: ReportNote = {
    title: "Where the app's time goes (CPU profile, benchmark 5)",
    lines: [
      'Both app processes run under `node --cpu-prof` (sampling; start-up and warm-up included); self time per answered '
        + 'request, by where the code lives. The marked column minus the unmarked one is what `mark()` costs a request, '
        + 'give or take the noise of a shared machine.',
      ...profileLines,
    ],
  };
  return { rows, targets, notes: [note, profileNote] };
}
