/** The benchmark table and targets: printed to the console and written to BENCHMARKS.md. */
import { writeFileSync } from 'node:fs';

/** One line of the table. */
export interface BenchRow {
  /** The benchmark it belongs to, e.g. `1. markEvent`. */
  section: string;
  /** What was run, e.g. `64 callers` or `30x30 days, first`. */
  case: string;
  /** `ours` or `naive` (or a route name). */
  impl: string;
  /** Which data set the figure used. */
  dataSet: string;
  /** Marks/s, requests/s, ... */
  rate?: string;
  median?: string;
  p95?: string;
  /** Round trips per call (a MULTI/EXEC block or a pipeline counts as one). */
  roundTrips?: string;
  /** Redis commands per call, including those run inside our scripts (INFO commandstats). */
  commands?: string;
  /** Ours against the naive run of the same case. */
  ratio?: string;
  note?: string;
}

/** A target of issue 5 and whether this run met it. */
export interface TargetResult {
  target: string;
  measured: string;
  met: boolean;
  /** What bounds the figure, measured in the same run (shown when the target is missed). */
  limit?: string;
}

/** A free-form section below the table (memory, slowest call, profiles...). */
export interface ReportNote {
  title: string;
  lines: string[];
}

const COLUMNS: [keyof BenchRow, string][] = [
  ['section', 'benchmark'],
  ['case', 'case'],
  ['impl', 'impl'],
  ['dataSet', 'data'],
  ['rate', 'rate'],
  ['median', 'median'],
  ['p95', 'p95'],
  ['roundTrips', 'round trips/call'],
  ['commands', 'Redis cmds/call'],
  ['ratio', 'ours vs naive'],
  ['note', 'note'],
];

/** The table as aligned plain text for the console. */
export function textTable(rows: BenchRow[]): string {
  const cells = [COLUMNS.map(([, title]) => title), ...rows.map((row) => COLUMNS.map(([key]) => row[key] ?? ''))];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((line) => line[c]!.length)));
  return cells.map((line) => line.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** The table as Markdown. */
export function markdownTable(rows: BenchRow[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const header = `| ${COLUMNS.map(([, title]) => title).join(' | ')} |`;
  const rule = `|${COLUMNS.map(() => '---').join('|')}|`;
  return [header, rule, ...rows.map((row) => `| ${COLUMNS.map(([key]) => escape(row[key] ?? '')).join(' | ')} |`)].join('\n');
}

/** The targets as Markdown. */
export function markdownTargets(targets: TargetResult[]): string {
  return [
    '| target | measured | result | what limits it (measured) |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? '**met**' : '**missed**'} | ${t.met ? '' : (t.limit ?? '')} |`),
  ].join('\n');
}

/** Everything BENCHMARKS.md holds. */
export interface Report {
  date: Date;
  durationS: number;
  machine: string[];
  dataSets: string[];
  rows: BenchRow[];
  targets: TargetResult[];
  notes: ReportNote[];
}

/** Writes BENCHMARKS.md. */
export function writeMarkdown(file: string, report: Report): void {
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (\`bench/run.ts\`) on ${report.date.toISOString().slice(0, 19).replace('T', ' ')} UTC; `
      + `the whole run took ${report.durationS.toFixed(0)} s. Every figure compares our implementation with a naive one `
      + 'in the same run, on the same Redis, and the bench fails (non-zero exit) when their results differ.',
    '',
    '## Machine',
    '',
    ...report.machine.map((line) => `- ${line}`),
    '',
    '## Data sets',
    '',
    ...report.dataSets.map((line) => `- ${line}`),
    '',
    '## Results',
    '',
    markdownTable(report.rows),
    '',
    'Round trips: request/reply exchanges per call (a MULTI/EXEC block or a pipeline counts as one; for our '
      + 'batched calls, script calls divided by marks). Redis commands: `INFO commandstats` before/after, divided by '
      + 'calls; it counts the commands our scripts run inside Redis too.',
    '',
    '## Targets (issue 5)',
    '',
    markdownTargets(report.targets),
    '',
    ...report.notes.flatMap((note) => [`## ${note.title}`, '', ...note.lines, '']),
  ];
  writeFileSync(file, `${lines.join('\n').trimEnd()}\n`);
}
