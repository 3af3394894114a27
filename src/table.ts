// Text tables for a terminal: the CLI's listings (plain, two spaces between columns) and the
// drill report (boxed, with headers stacked on several lines so wide titles don't set the
// widths). Widths count code points, so '—' counts as one; cells are made printable first.

/** A column: its header (one line, or stacked lines) and its alignment. */
export interface TableColumn {
  readonly head: string | readonly string[];
  /** Right-aligned (figures); default left. */
  readonly right?: boolean;
}

export interface TableOptions {
  /** Box-drawing borders around and between the cells; default plain. */
  readonly boxed?: boolean;
  /**
   * Decorates a body cell after padding (e.g. ANSI colour), so escape codes never count towards a
   * width. Gets the padded cell and its column index.
   */
  readonly decorate?: (padded: string, column: number) => string;
}

/**
 * Text from a run or the database (error messages above all) can hold newlines or escape
 * sequences; in a terminal those would break the layout or drive the terminal, so they are made
 * visible instead.
 */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || ch === '\r' || ch === '\t') out += ' ';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Width in terminal columns, counted in code points. */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(text)));
  return right ? fill + text : text + fill;
}

/** A table with a header; `(none)` when there are no rows. */
export function table(columns: ReadonlyArray<string | TableColumn>, rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
  if (rows.length === 0) return '(none)';
  const cols = columns.map((c) => (typeof c === 'string' ? { head: [c], right: false } : { head: typeof c.head === 'string' ? [c.head] : c.head, right: c.right ?? false }));
  const body = rows.map((r) => cols.map((_, i) => printable(r[i] ?? '')));
  const widths = cols.map((c, i) => Math.max(...c.head.map(width), ...body.map((r) => width(r[i] ?? ''))));
  const headLines = Array.from({ length: Math.max(...cols.map((c) => c.head.length)) }, (_, k) => cols.map((c) => c.head[k] ?? ''));
  const cells = (line: readonly string[], decorate: TableOptions['decorate']): string[] =>
    line.map((cell, i) => {
      const padded = pad(cell, widths[i] ?? 0, cols[i]?.right ?? false);
      return decorate === undefined ? padded : decorate(padded, i);
    });
  if (options.boxed !== true) {
    const plain = (line: readonly string[], decorate?: TableOptions['decorate']): string => cells(line, decorate).join('  ').trimEnd();
    return [...headLines.map((l) => plain(l)), ...body.map((r) => plain(r, options.decorate))].join('\n');
  }
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const boxed = (line: readonly string[], decorate?: TableOptions['decorate']): string => `│${cells(line, decorate).map((c) => ` ${c} `).join('│')}│`;
  return [
    rule('┌', '┬', '┐'),
    ...headLines.map((l) => boxed(l)),
    rule('├', '┼', '┤'),
    ...body.map((r) => boxed(r, options.decorate)),
    rule('└', '┴', '┘'),
  ].join('\n');
}
