/** The targets of issue 9 for the scaling section, each judged met or missed with what limits it. */
import { num, times } from './context.js';
import type { TargetResult } from './report.js';
import { SCALE_CALLERS, SCALE_CASES, type SizeFigures, type TargetFigures } from './scale-figures.js';
import type { Measured } from './scale-measure.js';
import { ms } from './timing.js';

/** `30x30 days, first`. */
export const caseName = (c: (typeof SCALE_CASES)[number]) => `${c.size}x${c.size} ${c.unit}s, ${c.mode}`;
const usec = (value: number) => ms(value / 1000);

/** The targets of issue 9, judged at the largest size of the run. */
export function scaleTargets(size: SizeFigures): TargetResult[] {
  const targets: TargetResult[] = [];
  const at = size.users === 10_000_000 ? '' : ` (judged at ${num(size.users)} users)`;
  const limit = (m: Measured) => `Redis ran ${num(m.scriptCallsPerRun, 1)} script calls for ${ms(m.redisMsPerRun)} per run; longest call ${usec(m.scripts.longestUsec)}`;
  for (const t of size.targets) {
    for (const [unit, bound] of [['day', 30], ['week', 50], ['month', 50]] as const) {
      const runs = SCALE_CASES.map((c, i) => [c, t.cohorts[i]] as const).filter(([c]) => c.unit === unit);
      const worst = runs.reduce<Measured | undefined>((w, [, m]) => (m && (!w || m.medianMs > w.medianMs) ? m : w), undefined);
      targets.push({
        target: `${runs[0]![0].size}x${runs[0]![0].size} ${unit}s under ${bound} ms, median (${t.name})${at}`,
        measured: runs.map(([c, m]) => `${c.mode} ${m ? ms(m.medianMs) : 'failed'}`).join(', '),
        met: runs.every(([, m]) => m !== undefined && m.medianMs < bound),
        limit: worst ? limit(worst) : 'failed',
      });
    }
    const measured = t.cohorts.filter((m) => m !== undefined);
    const longest = measured.reduce((w, m) => (m.scripts.longestUsec > w.scripts.longestUsec ? m : w), measured[0]!);
    const pingWorst = measured.reduce((w, m) => (m.pingP99Ms > w.pingP99Ms ? m : w), measured[0]!);
    if (measured.length > 0) {
      targets.push(
        {
          target: `Cohorts: longest single script call under 5 ms (${t.name})${at}`,
          measured: `${usec(longest.scripts.longestUsec)} (${caseName(longest.query)}); calls over 5 ms: `
            + `${num(measured.reduce((n, m) => n + m.scripts.over5ms, 0))} of ${num(measured.reduce((n, m) => n + m.scripts.logged, 0))}`,
          met: longest.scripts.longestUsec < 5000 && measured.length === t.cohorts.length,
          limit: `${caseName(longest.query)}: ${num(longest.scriptCallsPerRun, 1)} calls per cohort, ${ms(longest.redisMsPerRun)} of Redis time`,
        },
        {
          target: `Cohorts: PING p99 from another client under 20 ms (${t.name})${at}`,
          measured: `worst ${ms(pingWorst.pingP99Ms)} (${caseName(pingWorst.query)}, ${num(pingWorst.pings)} PINGs)`,
          met: pingWorst.pingP99Ms < 20,
          limit: `the longest script call then was ${usec(pingWorst.scripts.longestUsec)}; Redis time per cohort ${ms(pingWorst.redisMsPerRun)}`,
        },
      );
    }
    const page = t.eventsPage;
    const year = t.yearCount;
    targets.push({
      target: `Events page and year count: longest call under 5 ms (${t.name})${at}`,
      measured: `events page ${page ? `${usec(page.scripts.longestUsec)} (median ${ms(page.medianMs)})` : 'failed'}, `
        + `year count ${year ? `${usec(year.scripts.longestUsec)} (median ${ms(year.medianMs)})` : 'failed'}`,
      met: page !== undefined && year !== undefined && page.scripts.longestUsec < 5000 && year.scripts.longestUsec < 5000,
      limit: page ? `events page: ${num(page.scriptCallsPerRun, 1)} script calls, ${ms(page.redisMsPerRun)} of Redis time per view` : 'failed',
    });
  }
  const [compatible, sharded, cluster] = size.targets;
  if (compatible) {
    const over = SCALE_CASES.map((c, i) => [c, compatible.cohorts[i]] as const).filter(([c, m]) => !m || m.scriptCallsPerRun > c.size);
    targets.push({
      target: `Compatible layout: at most one script call per cohort row${at}`,
      measured: SCALE_CASES.filter((c) => c.mode === 'first').map((c) => {
        const m = compatible.cohorts[SCALE_CASES.indexOf(c)];
        return `${c.size}x${c.size} ${c.unit}s: ${m ? num(m.scriptCallsPerRun, 1) : 'failed'}`;
      }).join(', ') + (over.length ? `; over: ${over.map(([c]) => caseName(c)).join(', ')}` : ' (every mode at most one per row)'),
      met: over.length === 0,
    });
  }
  const days = (t: TargetFigures | undefined) => SCALE_CASES.map((c, i) => [c, t?.cohorts[i]] as const).filter(([c]) => c.unit === 'day');
  for (const [what, slow, base] of [['the sharded layout on one server', sharded, compatible], ['the sharded layout on the 3-master cluster', cluster, compatible]] as const) {
    if (!slow || !base) continue;
    const pairs = days(slow).map(([c, m], k) => [c, m, days(base)[k]![1]] as const);
    targets.push({
      target: `30x30 days: ${what} within 2x of the compatible layout on one server${at}`,
      measured: pairs.map(([c, m, b]) => `${c.mode} ${m && b ? times(m.medianMs / b.medianMs) : 'failed'}`).join(', '),
      met: pairs.every(([, m, b]) => m && b && m.medianMs <= 2 * b.medianMs),
      limit: pairs.map(([c, m]) => (m ? `${c.mode}: ${num(m.scriptCallsPerRun, 1)} calls, ${ms(m.redisMsPerRun)} Redis time` : '')).join('; '),
    });
  }
  if (sharded && cluster) {
    targets.push({
      target: `markEvent, ${SCALE_CALLERS} callers: the cluster not slower than one server (sharded layout)${at}`,
      measured: `cluster ${num(cluster.marksPerSecond)} marks/s, one server ${num(sharded.marksPerSecond)} (compatible layout: ${num(compatible?.marksPerSecond ?? Number.NaN)})`,
      met: cluster.marksPerSecond >= sharded.marksPerSecond,
      limit: [cluster, sharded].map((t) => `${t.name}: ${num(t.marking.marks / t.marking.scriptCalls, 1)} marks per script call, `
        + `the client process busy ${Math.round((100 * t.marking.clientCpuSeconds) / t.marking.seconds)}% of one core`).join('; '),
    });
  }
  return targets;
}
