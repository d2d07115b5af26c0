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

/** A target (of issue 5 unless `issue` says otherwise) and whether this run met it. */
export interface TargetResult {
  target: string;
  measured: string;
  /** Met or missed; absent for a figure an issue asks to report without a bound. */
  met?: boolean;
  /** What bounds the figure, measured in the same run (shown when the target is missed). */
  limit?: string;
  /** The issue that set the target (absent: issue 5). */
  issue?: number;
  /** The baseline measured in the same run: the naive implementation, or the engine call without HTTP. */
  baseline?: string;
  /** The figure measured before the issue, as the issue quotes it. */
  before?: string;
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

/** `met`, `missed`, or `reported` for a figure without a bound. */
export function verdict(t: TargetResult): 'met' | 'missed' | 'reported' {
  return t.met === undefined ? 'reported' : t.met ? 'met' : 'missed';
}

/** One target as a line of the printed summary: verdict, target, measured, then its baselines. */
export function targetLine(t: TargetResult): string {
  const baselines = [t.baseline && `baseline: ${t.baseline}`, t.before && `before: ${t.before}`].filter(Boolean);
  return `${verdict(t).toUpperCase().padEnd(8)}  ${t.issue ? `[issue ${t.issue}] ` : ''}${t.target}: ${t.measured}`
    + (baselines.length > 0 ? `\n          (${baselines.join('; ')})` : '');
}

/** The targets as Markdown; with baselines (issue 18 on), a column for the same run's and one for the figure before. */
export function markdownTargets(targets: TargetResult[]): string {
  const escape = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|');
  const result = (t: TargetResult) => `**${verdict(t)}**`;
  const limit = (t: TargetResult) => (t.met === false ? escape(t.limit) : '');
  if (!targets.some((t) => t.baseline !== undefined || t.before !== undefined)) {
    return [
      '| target | measured | result | what limits it (measured) |',
      '|---|---|---|---|',
      ...targets.map((t) => `| ${escape(t.target)} | ${escape(t.measured)} | ${result(t)} | ${limit(t)} |`),
    ].join('\n');
  }
  return [
    '| target | measured | baseline (same run) | before the issue | result | what limits it (measured) |',
    '|---|---|---|---|---|---|',
    ...targets.map((t) => `| ${escape(t.target)} | ${escape(t.measured)} | ${escape(t.baseline)} | ${escape(t.before)} | ${result(t)} | ${limit(t)} |`),
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
    markdownTargets(report.targets.filter((t) => t.issue === undefined)),
    '',
    ...issueSections(report.targets),
    ...report.notes.flatMap((note) => [`## ${note.title}`, '', ...note.lines, '']),
  ];
  writeFileSync(file, `${lines.join('\n').trimEnd()}\n`);
}

/** A section per later issue with its targets next to their baselines; the 10M-user ones are in the scaling section. */
function issueSections(targets: TargetResult[]): string[] {
  const issues = [...new Set(targets.map((t) => t.issue).filter((issue) => issue !== undefined))].sort((a, b) => a - b);
  return issues.flatMap((issue) => [
    `## Targets (issue ${issue})`,
    '',
    'Each figure next to its target, the baseline measured in the same run (the naive implementation where bench/ has '
      + 'one, otherwise the engine call without HTTP) and the figure measured before the issue. The figures at '
      + '10,000,000 users are in the scaling section below.',
    '',
    markdownTargets(targets.filter((t) => t.issue === issue)),
    '',
  ]);
}
