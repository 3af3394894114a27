// The drill's failure table for a terminal: one row per scenario (drawn by src/table.ts, which
// lines the columns up whatever the figures and paints after padding), the criteria that failed
// under it, and a closing count.
import { humanDuration } from '../duration.ts';
import { printable, table, type TableColumn } from '../table.ts';
import type { DrillReport, ScenarioResult } from './report.ts';

/** How renderTable draws. */
export interface TableOptions {
  /** ANSI green/red for PASS/FAIL; off by default so piped output stays plain. */
  readonly color?: boolean;
}

interface Column extends TableColumn {
  cell(s: ScenarioResult): string;
}

const COLUMNS: readonly Column[] = [
  { head: ['scenario'], right: false, cell: (s) => s.name },
  { head: ['result'], right: false, cell: (s) => (s.pass ? 'PASS' : 'FAIL') },
  { head: ['longest', 'unavailable'], right: true, cell: (s) => humanDuration(s.figures.unavailabilityMs) },
  { head: ['reads', 'down'], right: true, cell: (s) => humanDuration(s.figures.readsDownMs) },
  { head: ['ACME writes', 'down'], right: true, cell: (s) => humanDuration(s.figures.acmeWritesDownMs) },
  { head: ['failed', 'requests'], right: true, cell: (s) => `${s.figures.failedRequests} / ${s.figures.requests}` },
  { head: ['orders failed', '(retried)'], right: true, cell: (s) => `${s.figures.ordersFailed} (${s.figures.ordersRetried})` },
  { head: ['duties', 'resume'], right: true, cell: (s) => humanDuration(s.figures.dutiesResumeMs) },
  { head: ['DB writes', 'down'], right: true, cell: (s) => humanDuration(s.figures.writeUnavailabilityMs) },
  { head: ['lost'], right: true, cell: (s) => String(s.figures.ordersLost) },
  { head: ['fleet', 'renewed'], right: true, cell: (s) => renewedCell(s) },
  { head: ['typical outage', 'elsewhere'], right: false, cell: (s) => s.seeds },
];

/** Renewal drills: `renewed/fleet in time` (time only when all were renewed); '-' elsewhere. */
function renewedCell(s: ScenarioResult): string {
  const f = s.figures;
  if (f.fleetSize === null) return '-';
  return `${f.certificatesRenewed ?? 0}/${f.fleetSize}${f.renewedAllMs === null ? '' : ` in ${humanDuration(f.renewedAllMs)}`}`;
}

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const RESET = '\u001b[0m';

function paint(word: 'PASS' | 'FAIL', padded: string, color: boolean): string {
  if (!color) return padded;
  return padded.replace(word, `${word === 'PASS' ? GREEN : RED}${word}${RESET}`);
}

function tableLines(scenarios: readonly ScenarioResult[], color: boolean): string[] {
  const rows = scenarios.map((s) => COLUMNS.map((c) => c.cell(s)));
  // Only the result column is painted, and only when asked.
  const decorate = (padded: string, column: number): string => (column === 1 ? paint(padded.includes('PASS') ? 'PASS' : 'FAIL', padded, color) : padded);
  return table(COLUMNS, rows, { boxed: true, decorate }).split('\n');
}

/** Under the table, why each failed scenario failed: its failed criteria and any error. */
function failureLines(scenarios: readonly ScenarioResult[], color: boolean): string[] {
  return scenarios
    .filter((s) => !s.pass)
    .flatMap((s) => [
      '',
      `${paint('FAIL', 'FAIL', color)} ${printable(s.name)}: ${printable(s.title)}`,
      ...s.criteria.filter((c) => !c.pass).map((c) => `  ${printable(c.name)}: ${printable(c.measured)} (target ${printable(c.target)})`),
      ...(s.error === undefined ? [] : [`  did not run to the end: ${printable(s.error)}`]),
    ]);
}

/** The terminal failure table, the failed criteria, and an `N of M scenarios passed` line. */
export function renderTable(report: DrillReport, options: TableOptions = {}): string {
  const color = options.color ?? false;
  const passed = report.scenarios.filter((s) => s.pass).length;
  return [
    ...tableLines(report.scenarios, color),
    ...failureLines(report.scenarios, color),
    '',
    `${passed} of ${report.scenarios.length} scenarios passed`,
    '',
  ].join('\n');
}
