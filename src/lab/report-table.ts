// The drill's failure table for a terminal: one row per scenario, the criteria that failed under
// it, and a closing count. Widths are computed from the cells, so columns line up whatever the
// figures; colour is added after padding so escape codes never count towards a width.
import { formatMs } from './report.ts';
import type { DrillReport, ScenarioResult } from './report.ts';

/** How renderTable draws. */
export interface TableOptions {
  /** ANSI green/red for PASS/FAIL; off by default so piped output stays plain. */
  readonly color?: boolean;
}

interface Column {
  /** Header lines, stacked so the wide titles don't set the column widths. */
  readonly head: readonly string[];
  readonly right: boolean;
  cell(s: ScenarioResult): string;
}

const COLUMNS: readonly Column[] = [
  { head: ['scenario'], right: false, cell: (s) => s.name },
  { head: ['result'], right: false, cell: (s) => (s.pass ? 'PASS' : 'FAIL') },
  { head: ['longest', 'unavailable'], right: true, cell: (s) => formatMs(s.figures.unavailabilityMs) },
  { head: ['reads', 'down'], right: true, cell: (s) => formatMs(s.figures.readsDownMs) },
  { head: ['ACME writes', 'down'], right: true, cell: (s) => formatMs(s.figures.acmeWritesDownMs) },
  { head: ['failed', 'requests'], right: true, cell: (s) => `${s.figures.failedRequests} / ${s.figures.requests}` },
  { head: ['orders failed', '(retried)'], right: true, cell: (s) => `${s.figures.ordersFailed} (${s.figures.ordersRetried})` },
  { head: ['duties', 'resume'], right: true, cell: (s) => formatMs(s.figures.dutiesResumeMs) },
  { head: ['DB writes', 'down'], right: true, cell: (s) => formatMs(s.figures.writeUnavailabilityMs) },
  { head: ['lost'], right: true, cell: (s) => String(s.figures.ordersLost) },
  { head: ['typical outage', 'elsewhere'], right: false, cell: (s) => s.seeds },
];

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const RESET = '\u001b[0m';

/**
 * Text from a run (error messages above all) can hold newlines or escape sequences; in a
 * terminal those would break the layout or drive the terminal, so they are made visible instead.
 */
function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || ch === '\r' || ch === '\t') out += ' ';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Width in terminal columns, counted in code points so '—' and '–' count as one. */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(text)));
  return right ? fill + text : text + fill;
}

function paint(word: 'PASS' | 'FAIL', padded: string, color: boolean): string {
  if (!color) return padded;
  return padded.replace(word, `${word === 'PASS' ? GREEN : RED}${word}${RESET}`);
}

function tableLines(scenarios: readonly ScenarioResult[], color: boolean): string[] {
  const rows = scenarios.map((s) => COLUMNS.map((c) => printable(c.cell(s))));
  const widths = COLUMNS.map((c, i) => Math.max(...c.head.map(width), ...rows.map((r) => width(r[i] ?? ''))));
  const headRows = Math.max(...COLUMNS.map((c) => c.head.length));
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const line = (cells: readonly string[], paintResult: boolean): string =>
    '│' +
    cells
      .map((cell, i) => {
        const padded = pad(cell, widths[i] ?? 0, COLUMNS[i]?.right ?? false);
        return ` ${paintResult && i === 1 ? paint(cell === 'PASS' ? 'PASS' : 'FAIL', padded, color) : padded} `;
      })
      .join('│') +
    '│';
  return [
    rule('┌', '┬', '┐'),
    ...Array.from({ length: headRows }, (_, k) =>
      line(
        COLUMNS.map((c) => c.head[k] ?? ''),
        false,
      ),
    ),
    rule('├', '┼', '┤'),
    ...rows.map((r) => line(r, true)),
    rule('└', '┴', '┘'),
  ];
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
