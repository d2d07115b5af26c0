/**
 * Issue 18's targets in the scaling section, judged at the largest size of the run: 30x30-day cohorts, the chart pages and the
 * funnel (bounds for the compatible layout on one server; other layouts reported), and marking with the sharded
 * layout against the compatible one in the same run.
 */
import { num, times } from './context.js';
import { FUNNELS_17, ISSUE, SCALE_18 } from './issue-18.js';
import type { TargetResult } from './report.js';
import type { SizeFigures, TargetFigures } from './scale-figures.js';
import { SCALE_PAGES, type PageMeasured } from './scale-pages.js';
import { ms } from './timing.js';

/** The target the page bounds are for. */
const JUDGED = 'compatible, one server';

const usec = (value: number) => ms(value / 1000);

/** A target's name as a phrase: `the sharded layout on the 3-master cluster`. */
const layoutOn = (name: string) => {
  const [layout, where] = name.split(', ');
  return `the ${layout} layout on ${where === 'one server' ? 'one server' : `the ${where}`}`;
};

/** A page's or the funnel's figures in one line. */
export function pageFigures(m: PageMeasured): string {
  return `median ${ms(m.medianMs)} (p95 ${ms(m.p95Ms)}), ${num(m.scriptCallsPerRun, 1)} script calls, `
    + `${num(m.scripts.commands / m.runs, 1)} Redis commands, ${ms(m.redisMsPerRun)} of script time, longest call `
    + `${usec(m.scripts.longestUsec)}, calls over 5 ms ${num(m.scripts.over5ms)} of ${num(m.scripts.logged)}, PING p99 ${ms(m.pingP99Ms)}`;
}

/** Marks per script call of a target's marking runs. */
const marksPerCall = (t: TargetFigures) => t.marking.marks / t.marking.scriptCalls;

/** Issue 18's targets at one size (the largest of the run). */
export function scaleTargets18(size: SizeFigures): TargetResult[] {
  const targets: TargetResult[] = [];
  const at = size.users === 10_000_000 ? '' : ` (judged at ${num(size.users)} users)`;
  for (const t of size.targets.filter((target) => target.pages.length > 0)) {
    const judged = t.name === JUDGED;
    const where = `(${t.name})${at}${judged ? '' : `; reported: the bounds are for ${layoutOn(JUDGED)}`}`;
    SCALE_PAGES.forEach((page, i) => {
      const bound = SCALE_18[page.key];
      const m = t.pages[i];
      targets.push({
        issue: ISSUE,
        target: `${page.label}, over HTTP: at most ${bound.maxMedianMs} ms median ${where}`,
        measured: m ? pageFigures(m) : 'failed',
        met: judged ? m !== undefined && m.medianMs <= bound.maxMedianMs : undefined,
        limit: m ? `Redis ran ${num(m.scriptCallsPerRun, 1)} script calls for ${ms(m.redisMsPerRun)} per view` : 'failed',
        baseline: 'no naive implementation in bench/; answer checked against Node',
        before: bound.before,
      });
    });
    const measured = t.pages.filter((m) => m !== undefined);
    const longest = measured.reduce<PageMeasured | undefined>((w, m) => (!w || m.scripts.longestUsec > w.scripts.longestUsec ? m : w), undefined);
    const pinged = measured.reduce<PageMeasured | undefined>((w, m) => (!w || m.pingP99Ms > w.pingP99Ms ? m : w), undefined);
    const complete = measured.length === t.pages.length;
    targets.push(
      {
        issue: ISSUE,
        target: `Chart pages: no script call over ${SCALE_18.maxCallMs} ms ${where}`,
        measured: longest
          ? `longest ${usec(longest.scripts.longestUsec)} (${longest.label}); calls over 5 ms: `
            + `${num(measured.reduce((n, m) => n + m.scripts.over5ms, 0))} of ${num(measured.reduce((n, m) => n + m.scripts.logged, 0))}`
          : 'failed',
        met: judged ? complete && longest !== undefined && longest.scripts.longestUsec <= SCALE_18.maxCallMs * 1000 : undefined,
        limit: longest ? `${longest.label}: ${num(longest.scriptCallsPerRun, 1)} calls per view, ${ms(longest.redisMsPerRun)} of Redis time` : 'failed',
      },
      {
        issue: ISSUE,
        target: `Chart pages: PING p99 from another client under ${SCALE_18.maxPingP99Ms} ms ${where}`,
        measured: pinged ? `worst ${ms(pinged.pingP99Ms)} (${pinged.label}, ${num(pinged.pings)} PINGs)` : 'failed',
        met: judged ? complete && pinged !== undefined && pinged.pingP99Ms < SCALE_18.maxPingP99Ms : undefined,
        limit: pinged ? `the longest script call then was ${usec(pinged.scripts.longestUsec)}` : 'failed',
      },
      {
        issue: FUNNELS_17.issue,
        target: `${t.funnel?.label ?? 'funnel'}: at most ${FUNNELS_17.maxScaleMs} ms median ${where}`,
        measured: t.funnel ? pageFigures(t.funnel) : 'failed',
        met: judged ? t.funnel !== undefined && t.funnel.medianMs <= FUNNELS_17.maxScaleMs : undefined,
        before: 'none: a new insight',
      },
    );
  }
  targets.push(...cohortTargets18(size, at));
  const compatible = size.targets.find((t) => t.name === JUDGED);
  for (const t of size.targets.filter((target) => target.layout === 'sharded')) {
    if (!compatible) break;
    const ratio = t.marksPerSecond / compatible.marksPerSecond;
    const baseline = `compatible, one server: ${num(compatible.marksPerSecond)} marks/s, ${num(marksPerCall(compatible), 1)} marks per script call`;
    const busy = `the client process busy ${Math.round((100 * t.marking.clientCpuSeconds) / t.marking.seconds)}% of one core`;
    targets.push(
      {
        issue: ISSUE,
        target: `markEvent, 64 callers: ${layoutOn(t.name)} at least ${SCALE_18.minMarkingRatio}x the marks/s of ${layoutOn(JUDGED)}${at}`,
        measured: `${times(ratio)} (${num(t.marksPerSecond)} vs ${num(compatible.marksPerSecond)} marks/s)`,
        met: ratio >= SCALE_18.minMarkingRatio,
        limit: `${num(marksPerCall(t), 1)} marks per script call, ${busy}`,
        baseline,
        before: SCALE_18.markingBefore[t.name],
      },
      {
        issue: ISSUE,
        target: `markEvent, 64 callers: at least ${SCALE_18.minMarksPerCall} marks per script call (${t.name})${at}`,
        measured: `${num(marksPerCall(t), 1)} (${num(t.marking.marks)} marks in ${num(t.marking.scriptCalls)} script calls)`,
        met: marksPerCall(t) >= SCALE_18.minMarksPerCall,
        limit: busy,
        baseline,
        before: SCALE_18.markingBefore[t.name],
      },
    );
  }
  return targets;
}

/** Issue 18's bound on 30x30-day cohorts at the largest size: the compatible layout on one server, every mode. */
function cohortTargets18(size: SizeFigures, at: string): TargetResult[] {
  const t = size.targets.find((target) => target.name === JUDGED);
  if (!t) return [];
  const days = t.cohorts.filter((c) => c?.query.unit === 'day' && c.query.size === 30);
  const complete = days.length === 3 && days.every((c) => c !== undefined);
  const slowest = days.reduce<(typeof days)[number]>((w, c) => (!w || (c && c.medianMs > w.medianMs) ? c : w), undefined);
  const longest = t.cohorts.reduce<(typeof days)[number]>((w, c) => (!w || (c && c.scripts.longestUsec > w.scripts.longestUsec) ? c : w), undefined);
  const pinged = t.cohorts.reduce<(typeof days)[number]>((w, c) => (!w || (c && c.pingP99Ms > w.pingP99Ms) ? c : w), undefined);
  const label = (c: NonNullable<(typeof days)[number]>) => `${c.query.size}x${c.query.size} ${c.query.unit}s, ${c.query.mode}`;
  return [
    {
      issue: ISSUE,
      target: `getCohort 30x30 days: at most ${SCALE_18.cohort.maxMedianMs} ms median in every mode (${JUDGED})${at}`,
      measured: complete ? days.map((c) => `${c!.query.mode} ${ms(c!.medianMs)} (${num(c!.scriptCallsPerRun, 1)} script calls)`).join(', ') : 'failed',
      met: complete && slowest !== undefined && slowest.medianMs <= SCALE_18.cohort.maxMedianMs,
      limit: slowest ? `${label(slowest)}: ${ms(slowest.redisMsPerRun)} of script time per cohort` : 'failed',
      before: SCALE_18.cohort.before,
    },
    {
      issue: ISSUE,
      target: `Cohorts: no script call or MULTI over ${SCALE_18.maxCallMs} ms, PING p99 under ${SCALE_18.maxPingP99Ms} ms (${JUDGED})${at}`,
      measured: longest && pinged
        ? `longest ${usec(longest.scripts.longestUsec)} (${label(longest)}), calls over 5 ms ${num(t.cohorts.reduce((n, c) => n + (c?.scripts.over5ms ?? 0), 0))}; `
          + `PING p99 at worst ${ms(pinged.pingP99Ms)} (${label(pinged)})`
        : 'failed',
      met: t.cohorts.every((c) => c !== undefined) && longest !== undefined && pinged !== undefined
        && longest.scripts.longestUsec <= SCALE_18.maxCallMs * 1000 && pinged.pingP99Ms < SCALE_18.maxPingP99Ms,
      limit: longest ? `${label(longest)}: ${num(longest.scriptCallsPerRun, 1)} calls per cohort` : 'failed',
    },
  ];
}
