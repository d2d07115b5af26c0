/**
 * The marks the benchmarks replay: the shared data set (`../shared/data/marks.csv.gz` from the repository
 * root) when it exists, otherwise a seeded data set of the same shape generated here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { BulkMark } from '../src/index.js';
import { seededRandom } from '../src/testing/index.js';

/** A list of marks plus where it came from. */
export interface DataSet {
  /** A one-line description for the report. */
  label: string;
  /** True when the marks came from the shared file. */
  shared: boolean;
  /** The marks, sorted by time. */
  marks: BulkMark[];
  /** The `now` cohorts over this data set are asked with. */
  cohortNow: Date;
}

/** Where the shared data set lives relative to the repository root. */
export const SHARED_DATA_FILE = fileURLToPath(new URL('../../shared/data/marks.csv.gz', import.meta.url));

/** The end of the data set's time range: cohorts are asked with this `now`. */
export const COHORT_NOW = new Date('2025-03-01T23:59:59Z');

/** Loads the shared data set, or generates one of the same shape when it is missing. */
export function loadDataSet(file = SHARED_DATA_FILE): DataSet {
  if (existsSync(file)) {
    const marks = parseMarksCsv(gunzipSync(readFileSync(file)).toString('utf8'));
    return { label: `\`../shared/data/marks.csv.gz\` (${marks.length.toLocaleString('en-US')} marks)`, shared: true, marks, cohortNow: COHORT_NOW };
  }
  const marks = generateMarks();
  return {
    label: `generated, seed ${SEED} (${marks.length.toLocaleString('en-US')} marks; \`../shared\` not found)`,
    shared: false,
    marks,
    cohortNow: COHORT_NOW,
  };
}

/** Parses `event,uid,iso_timestamp` lines (with a header line). */
export function parseMarksCsv(text: string): BulkMark[] {
  const marks: BulkMark[] = [];
  let start = text.indexOf('\n') + 1;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.endsWith('\r', end) ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const first = line.indexOf(',');
    const second = line.indexOf(',', first + 1);
    const now = new Date(line.slice(second + 1));
    const uid = Number(line.slice(first + 1, second));
    if (first < 1 || second < 0 || !Number.isSafeInteger(uid) || Number.isNaN(now.getTime())) {
      throw new Error(`bad data line: ${JSON.stringify(line)}`);
    }
    marks.push({ event: line.slice(0, first), uid, now });
  }
  return marks;
}

const SEED = 20250301;
const USERS = 100_000;
const DAYS = 60;
const DAY_MS = 86_400_000;
const START = Date.UTC(2025, 0, 1);

/**
 * A seeded data set shaped like the shared one: 100,000 users signing up over 60 days (2025-01-01 to
 * 2025-03-01), more of them as the weeks go by, with ids given in sign-up order (as a database sequence
 * would); `user:active` on the sign-up day and on later days with a probability that thins out over the
 * weeks; one `user:purchased` for about one user in ten.
 */
export function generateMarks(seed = SEED): BulkMark[] {
  const random = seededRandom(seed);
  const timed: { t: number; event: string; uid: number }[] = [];
  const at = (day: number) => START + day * DAY_MS + Math.floor(random() * DAY_MS / 1000) * 1000;
  const signups = Array.from({ length: USERS }, () => {
    const day = Math.min(DAYS - 1, Math.floor(DAYS * Math.sqrt(random())));
    return { day, t: at(day) };
  }).sort((a, b) => a.t - b.t);
  for (let uid = 1; uid <= USERS; uid += 1) {
    const { day: signupDay, t: signedUp } = signups[uid - 1]!;
    timed.push({ t: signedUp, event: 'user:signed_up', uid });
    const activeDays: number[] = [];
    if (random() < 0.8) {
      activeDays.push(signupDay);
      timed.push({ t: Math.min(signedUp + 5_000, START + (signupDay + 1) * DAY_MS - 1000), event: 'user:active', uid });
    }
    for (let day = signupDay + 1; day < DAYS; day += 1) {
      const weekend = new Date(START + day * DAY_MS).getUTCDay() % 6 === 0;
      const p = (0.37 * Math.exp(-(day - signupDay) / 14) + 0.03) * (weekend ? 0.8 : 1);
      if (random() < p) {
        activeDays.push(day);
        timed.push({ t: at(day), event: 'user:active', uid });
      }
    }
    if (activeDays.length > 0 && random() < 0.1) {
      const day = activeDays[Math.floor(random() * activeDays.length)]!;
      timed.push({ t: at(day), event: 'user:purchased', uid });
    }
  }
  timed.sort((a, b) => a.t - b.t || a.uid - b.uid);
  return timed.map(({ t, event, uid }) => ({ event, uid, now: new Date(t) }));
}

