/**
 * Benchmark 5: the example app's `/` route with `mark('index:visited', ...)` against the same route without
 * it, each in a server process of its own (bench/http-server.ts) under the same autocannon load: 50
 * connections, 4 slices of 5 s per route in ABBAABBA order (so drift in the machine's load hits both
 * alike), after a warm-up. Two kinds of visitors:
 * - `session`: 50 logged-in demo users (a session cookie per connection), the case `mark()` is for;
 * - `anonymous`: 50 returning anonymous visitors, each sending the signed visitor cookie the example gave
 *   it on a first visit (the example takes no id from the query string, so no `?uid=` variant).
 * The marks are checked: exactly the 50 users, or exactly the 50 visitors; none when unmarked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { num, times, type BenchContext, type BenchOutput } from './context.js';
import { CATEGORIES, readProfile, type ProfileTimes } from './cpu-profile.js';
import { CONNECTIONS, load, pinCores, startServer, unpinCores, type AppServer, type Slice } from './http-app.js';
import { ANONYMOUS_VISITORS, anonymousScenario, markedIds, sessionScenario, SESSION_USERS, type Scenario } from './http-visitors.js';
import { MismatchError } from './keyspace.js';
import type { BenchRow, ReportNote, TargetResult } from './report.js';
import { ms, rate, summarize } from './timing.js';

/** Each route gets ORDER's slices of this many seconds: 4 x 5 s = 20 s per route. */
const DURATION_S = 5;
const WARM_UP_S = 2;
/** Load slices in ABBA order, twice: false = unmarked route, true = marked route. */
const ORDER = [false, true, true, false, false, true, true, false];

/** Profiled ms per key, as µs per answered request. */
function perRequest<K>(totalMs: Map<K, number>, answered: number): Map<K, number> {
  return new Map([...totalMs].map(([key, ms]) => [key, (ms * 1000) / answered]));
}

/** The functions whose self time per request grew most from the unmarked to the marked route. */
function topGrowth(unmarked: Map<string, number>, marked: Map<string, number>, count: number): string[] {
  return [...marked]
    .map(([name, us]) => [name, us - (unmarked.get(name) ?? 0)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `\`${name}\` +${num(us, 1)} µs`);
}

/** Runs one scenario: both routes, warm-up, ABBA slices; checks the marks. */
async function runScenario(ctx: BenchContext, name: string, scenario: (marked: AppServer) => Promise<Scenario>, pinned: boolean) {
  const servers = new Map<boolean, AppServer>();
  const profiles = new Map<boolean, string>();
  const profileMs = new Map<boolean, ProfileTimes>();
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
    for (const marked of [false, true]) profileMs.set(marked, readProfile(profiles.get(marked)!));
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
      profile: perRequest(profileMs.get(marked)!.byCategory, totals.get(marked)!.answered),
      functions: perRequest(profileMs.get(marked)!.byFunction, totals.get(marked)!.answered),
      /** Share of one core the app server and the load generator used. */
      serverBusy: all.reduce((sum, s) => sum + s.serverCpu, 0) / 1e6 / seconds,
      loadBusy: all.reduce((sum, s) => sum + s.loadCpu, 0) / 1e6 / seconds,
    };
  };
  return { marked: summary(true), unmarked: summary(false), totals: totals.get(true)! };
}

const SCENARIOS = [
  { name: 'session', scenario: sessionScenario, what: `${SESSION_USERS} logged-in users (session cookie)` },
  { name: 'anonymous', scenario: anonymousScenario, what: `${ANONYMOUS_VISITORS} anonymous visitors (signed visitor cookie)` },
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
      rate: rate(r.requestsPerS, 'req'),
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
      '',
      `Largest growth by function: ${topGrowth(unmarked.functions, marked.functions, 6).join(', ')}.`,
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
