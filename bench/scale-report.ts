/** The scaling section of BENCHMARKS.md: its tables and targets, written in place between two markers. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { num } from './context.js';
import { markdownTargets } from './report.js';
import { SIGNUP_DAYS } from './scale-product.js';
import { SCALE_FUNNEL, SCALE_PAGES, type PageMeasured } from './scale-pages.js';
import { caseName, scaleTargets } from './scale-targets.js';
import { scaleTargets18 } from './scale-targets-18.js';
import {
  SCALE_ACTIVE_DAYS as ACTIVE_DAYS, SCALE_CALLERS, SCALE_CASES, SCALE_MARK_RUNS, SCALE_MARKS, SCALE_RUNS, SHARD_BITS, type ScaleFigures, type TargetFigures,
} from './scale-figures.js';
import { ms } from './timing.js';

export const SCALE_BEGIN = '<!-- scale:begin (written by `npm run bench -- scale`) -->';
export const SCALE_END = '<!-- scale:end -->';

const usec = (value: number) => ms(value / 1000);
const bytesPer = (bytes: number, count: number) => (count > 0 ? num(bytes / count, 1) : 'n/a');
const memoryTotal = (t: TargetFigures) => Object.values(t.memory).reduce((a, b) => a + b, 0);

/** The whole scaling section, markers included. */
export function scaleMarkdown(figures: ScaleFigures, date: Date): string {
  const largest = figures.sizes.at(-1)!;
  const cohortRows = largest.targets.flatMap((t) => SCALE_CASES.map((c, i) => {
    const m = t.cohorts[i];
    return m
      ? `| ${caseName(c)} | ${t.name} | ${ms(m.medianMs)} | ${ms(m.p95Ms)} | ${num(m.scriptCallsPerRun, 1)} | ${ms(m.redisMsPerRun)} | `
        + `${usec(m.scripts.longestUsec)} | ${num(m.scripts.over5ms)} of ${num(m.scripts.logged)} | ${ms(m.pingP99Ms)} | ${num(m.cells)} |`
      : `| ${caseName(c)} | ${t.name} | failed | | | | | | | |`;
  }));
  const otherRows = largest.targets.map((t) => {
    const page = t.eventsPage;
    const year = t.yearCount;
    return `| ${t.name} | ${page ? `${ms(page.medianMs)} / ${usec(page.scripts.longestUsec)}` : 'failed'} | `
      + `${year ? `${ms(year.medianMs)} / ${usec(year.scripts.longestUsec)}` : 'failed'} | ${num(t.marksPerSecond)} | `
      + `${num(t.marking.marks / t.marking.scriptCalls, 1)} | `
      + `${num(memoryTotal(t) / 2 ** 20, 1)} MiB | ${bytesPer(t.memory['user:active']!, largest.activeUserDays)} | `
      + `${bytesPer(memoryTotal(t), largest.signups + largest.activeUserDays + largest.purchases)} | ${bytesPer(t.memory['user:signed_up']!, largest.signups)} |`;
  });
  const pageRow = (t: TargetFigures, label: string, m: PageMeasured | undefined) => (m
    ? `| ${label} | ${t.name} | ${ms(m.medianMs)} | ${ms(m.p95Ms)} | ${num(m.scriptCallsPerRun, 1)} | ${num(m.scripts.commands / m.runs, 1)} | `
      + `${ms(m.redisMsPerRun)} | ${usec(m.scripts.longestUsec)} | ${num(m.scripts.over5ms)} of ${num(m.scripts.logged)} | ${ms(m.pingP99Ms)} | ${m.checked} |`
    : `| ${label} | ${t.name} | failed | | | | | | | | |`);
  const pageRows = largest.targets.filter((t) => t.pages.length > 0).flatMap((t) => [
    ...SCALE_PAGES.map((page, i) => pageRow(t, page.label, t.pages[i])),
    pageRow(t, t.funnel?.label ?? 'funnel', t.funnel),
  ]);
  const growthRows = figures.sizes.flatMap((size) => size.targets.map((t) => {
    const worst = (unit: string) => {
      const ms_ = SCALE_CASES.map((c, i) => (c.unit === unit ? t.cohorts[i]?.medianMs ?? Number.POSITIVE_INFINITY : 0));
      return ms(Math.max(...ms_));
    };
    const measured = t.cohorts.filter((m) => m !== undefined);
    return `| ${num(size.users)} | ${t.name} | ${worst('day')} | ${worst('week')} | ${worst('month')} | `
      + `${usec(Math.max(0, ...measured.map((m) => m.scripts.longestUsec)))} | ${ms(Math.max(0, ...measured.map((m) => m.pingP99Ms)))} | `
      + `${t.eventsPage ? ms(t.eventsPage.medianMs) : 'failed'} | ${num(t.marksPerSecond)} | `
      + `${bytesPer(t.memory['user:active']!, size.activeUserDays)} | ${bytesPer(memoryTotal(t), size.signups + size.activeUserDays + size.purchases)} |`;
  }));
  const lines = [
    SCALE_BEGIN,
    `## Scaling to ${num(largest.users)} users (benchmark 7)`,
    '',
    `Written by \`npm run bench -- scale\` (\`bench/scale.bench.ts\`, also part of a full \`npm run bench\`) on `
      + `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC; the section took ${figures.durationS.toFixed(0)} s. `
      + 'It starts its own redis-server and a local 3-master Redis Cluster (`startRedisCluster()`), whatever `REDIS_URL` says.',
    '',
    ...figures.machine.map((line) => `- ${line}`),
    '',
    '### Data set',
    '',
    `- Users: ${figures.sizes.map((s) => num(s.users)).join(', ')} ids from 0, signing up over ${SIGNUP_DAYS} days in consecutive `
      + `id ranges (${num(largest.users / SIGNUP_DAYS)} a day on average at ${num(largest.users)} users, between 75% and 125% of that), `
      + 'ending 2025-06-29; cohorts and counts are asked with now = 2025-06-29 23:59:59 UTC.',
    `- \`user:active\` on each of the last ${ACTIVE_DAYS} days: ${num(largest.activeUserDays / ACTIVE_DAYS)} users a day on average `
      + `(${num((100 * largest.activeUserDays) / ACTIVE_DAYS / largest.users, 1)}%), a user active with probability 42% on the sign-up day, 33% `
      + 'a week later, 15% after 29 days, 8% from 180 days on (85% of that on weekends); `user:purchased` for 4% of the active users.',
    `- Built directly as bitmaps in Node from a seeded PRNG (\`bench/scale-product.ts\`) and written with SET: day bitmaps, week and `
      + `month bitmaps as the OR of their days, in the compatible layout (prefix \`trackist_\`) and the sharded layout (\`shardBits: ${SHARD_BITS}\`, `
      + `${num(Math.ceil(largest.users / 2 ** SHARD_BITS))} block(s) of ${num(2 ** SHARD_BITS)} ids, registered in \`<prefix>~blocks\`). `
      + `Builder check: ${figures.builderCheck}.`,
    `- At ${num(largest.users)} users: ${num(largest.signups)} sign-ups, ${num(largest.activeUserDays)} active user-days, `
      + `${num(largest.purchases)} purchases; ${largest.targets.map((t) => `${t.name}: ${num(t.keys)} keys written in ${ms(t.writeMs)}`).join('; ')}.`,
    '',
    `### Cohorts at ${num(largest.users)} users`,
    '',
    `\`getCohort('user:signed_up', 'user:active')\`, one warm-up then ${SCALE_RUNS} runs one after the other. Script calls and Redis time: `
      + '`INFO commandstats` (EVALSHA + EVAL) over every server, per cohort; longest call: `SLOWLOG` at `slowlog-log-slower-than 0`; PING: '
      + 'a worker thread with its own connection to every server sends a PING about every millisecond meanwhile. Every cell of every '
      + 'answer is checked against the same cohort computed in Node from the buffers the data set was built from.',
    '',
    '| cohort | target | median | p95 | script calls/cohort | Redis script time/cohort | longest script call | calls over 5 ms | PING p99 | cells checked |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...cohortRows,
    '',
    `### Events page, year count, marking and memory at ${num(largest.users)} users`,
    '',
    `Events page: \`GET /bitmapist/?format=json\` through a real Koa app with the plugin (its counts checked); year count: `
      + `\`year('user:active').count()\`; both median / longest script call over ${SCALE_RUNS} runs. Marking: ${num(SCALE_MARKS)} \`markEvent\` calls `
      + `per target at random ids from ${SCALE_CALLERS} concurrent callers, in ${SCALE_MARK_RUNS} equal runs ordered A B C C B A A B C ...: the pooled rate. Memory: \`used_memory\` growth `
      + '(summed over the masters) while the data set was written; per user-day: `user:active` alone; per stored mark: every event over '
      + 'sign-ups + active user-days + purchases; per sign-up: `user:signed_up` alone.',
    '',
    '| target | events page | year count | markEvent marks/s | marks per script call | memory | B per user-day | B per stored mark | B per sign-up |',
    '|---|---|---|---|---|---|---|---|---|',
    ...otherRows,
    '',
    `### Chart pages and a funnel at ${num(largest.users)} users`,
    '',
    'The dashboard\'s pages through a real Koa app with the plugin (`GET /bitmapist/<page>?...&format=json` with `fetch`), '
      + `and \`getFunnel(${JSON.stringify(SCALE_FUNNEL.steps)}, { periods: ${SCALE_FUNNEL.periods}, window: ${SCALE_FUNNEL.window} })\` `
      + '(the product has three events: the fourth step repeats `user:active`), measured as the cohorts: one warm-up, then '
      + `${SCALE_RUNS} runs, script calls and Redis commands per view from \`INFO commandstats\`, the longest call from SLOWLOG, `
      + 'PING p99 of another client. Every answer is checked against the same figures computed in Node from the buffers the '
      + 'data set was built from: trends every count, active users DAU, WAU and MAU, the lifecycle every figure (its active '
      + 'users are per-day popcounts), the funnel every count and its time to convert.',
    '',
    '| page | target | median | p95 | script calls/view | Redis commands/view | Redis script time/view | longest script call | calls over 5 ms | PING p99 | checked |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...pageRows,
    '',
    '### Growth with the number of users',
    '',
    'Cohort columns: the slowest mode\'s median. Longest call and PING p99: the worst over every cohort.',
    '',
    '| users | target | 30x30 days | 12x12 weeks | 3x3 months | longest script call | PING p99 | events page | marks/s | B per user-day | B per stored mark |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...growthRows,
    '',
    `### Targets (issue 9)`,
    '',
    markdownTargets(scaleTargets(largest)),
    '',
    '### Targets (issue 18)',
    '',
    'The page bounds are for the compatible layout on one server; the sharded layout\'s figures are reported next to them. '
      + 'Marking: the runs of the table above, the sharded layout against the compatible one of the same run.',
    '',
    markdownTargets(scaleTargets18(largest)),
    '',
    'Reading the figures: SLOWLOG and `INFO commandstats` time a call by the wall clock, so on a busy machine a call '
      + 'during which Redis lost its CPU to another process looks long (the load is recorded above; compare the longest '
      + 'call with the Redis script time per cohort). `user:active` and `user:purchased` exist for the last '
      + `${ACTIVE_DAYS} days only (enough for the 90-day pages, whose first MAU reads 29 days before them), so the oldest `
      + 'periods of a longer range read no bitmap, as for a product that started tracking an event recently. In the '
      + 'compatible layout every bitmap is as long as its '
      + 'highest id: a day of sign-ups at the end of the id range costs as much as a whole day of activity, which is what '
      + 'the sharded layout saves (B per sign-up).',
    SCALE_END,
  ];
  return lines.join('\n');
}

/** The scaling section currently in `file`, if any. */
export function existingScaleSection(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const begin = text.indexOf(SCALE_BEGIN);
  const end = text.indexOf(SCALE_END);
  return begin >= 0 && end > begin ? text.slice(begin, end + SCALE_END.length) : undefined;
}

/** Writes the scaling section into `file` in place (or appends it), leaving the rest of the file as it is. */
export function writeScaleSection(file: string, section: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const current = existingScaleSection(file);
  const next = current === undefined ? `${text.trimEnd()}\n\n${section}\n` : text.replace(current, () => section);
  writeFileSync(file, next);
}
