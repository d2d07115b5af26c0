/**
 * Issue 18's bounds and the figures measured before it (as the issue quotes them), in one place: the benchmarks
 * judge their targets with these and print them next to what they measured.
 */

/** The issue number targets and figures carry. */
export const ISSUE = 18;

/** Cohorts on the shared data set, 30x30 days, each mode. */
export const COHORT_18 = {
  maxMedianMs: 4,
  minRatioToNaive: 30,
  maxCommands: 1_500,
  /** Median before the issue (`npm run bench` of 2026-12-06), per mode. */
  beforeMs: { first: 8.5, recurring: 11.4, unbounded: 8.9 } as Record<string, number>,
  beforeCommands: '3,350–3,820 commands',
} as const;

/** A chart page on the shared data set over HTTP: its bound and what benchmark 9 measured before (engine calls). */
export interface PageBound {
  maxMedianMs: number;
  before: string;
}

/** The chart pages on the shared data set, by case. */
export const PAGES_18 = {
  trends: { maxMedianMs: 10, before: '61 ms, 270 script calls (benchmark 9, engine call)' },
  active: { maxMedianMs: 25, before: '162 ms, 270 script calls (benchmark 9, engine call)' },
  lifecycle: { maxMedianMs: 25, before: '127 ms, 271 script calls (benchmark 9, engine call)' },
  lifecycleCreated: { maxMedianMs: 25, before: '37.2 ms, 361 script calls (benchmark 9, engine call)' },
  events: { maxMedianMs: 20, before: '4 script calls per event (400 for 100 events)' },
} as const satisfies Record<string, PageBound>;

/** The chart pages and marking at 10,000,000 users (the scaling benchmark). */
export const SCALE_18 = {
  active: { maxMedianMs: 150, before: 'over 60 days: 1,354 ms in 1,067 script calls' },
  lifecycle: { maxMedianMs: 150, before: 'over 60 days: 548 ms in 845 script calls' },
  lifecycleCreated: { maxMedianMs: 150, before: 'over 60 days: 153 ms' },
  trends: { maxMedianMs: 50, before: '2 events over 60 days: 69 ms' },
  /** 30x30-day cohorts at 10M users, compatible layout (each mode): the issue's bound, and where they stood. */
  cohort: { maxMedianMs: 10, before: 'about 10 ms (the issue); 11–21 ms in the last full run before small cohorts were counted in Node' },
  maxCallMs: 5,
  maxPingP99Ms: 20,
  /** Marks/s of a sharded target relative to the compatible layout on one server, in the same run. */
  minMarkingRatio: 0.8,
  minMarksPerCall: 16,
  markingBefore: {
    'sharded, one server': '0.64x (109,777 vs 170,214 marks/s), 2.4 marks per script call',
    'sharded, 3-master cluster': '0.27x (46,157 vs 170,214 marks/s), 1.9 marks per script call',
  } as Record<string, string>,
} as const;

/**
 * Issue 17's bounds for funnels and breakdowns (measured with issue 18's pages): a funnel of 4 steps over 30 entry
 * days (window 14), either order, with and without a segment, and a trends breakdown of 2 events x 3 segments.
 */
export const FUNNELS_17 = {
  issue: 17,
  maxSharedMs: 30,
  maxScaleMs: 300,
} as const;
