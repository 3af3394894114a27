/**
 * SQL text as PostgreSQL's lexer reads it (PostgreSQL docs §4.1): code, and the spans that must be
 * left alone when code is rewritten — string constants ('' doubled, E'' with backslash escapes),
 * quoted identifiers, dollar-quoted strings and comments (block comments nest).
 *
 * Our SQL is written once with `?` placeholders, which SQLite takes as they are and PostgreSQL
 * needs as `$1..$n`. Every `?` in code is a placeholder, so PostgreSQL's jsonb operators `?`, `?|`
 * and `?&` cannot be written as operators: call `jsonb_exists`, `jsonb_exists_any` and
 * `jsonb_exists_all` instead.
 */

const IDENT_CHAR = /[\p{L}\p{N}_$]/u;
const DOLLAR_TAG = /\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/uy;

/** Where the quoted span or comment that starts at `i` ends (exclusive), or -1 when `i` starts code. */
function skipQuoted(sql: string, i: number): number {
  const c = sql[i];
  const next = sql[i + 1];
  const prev = i > 0 ? sql[i - 1] ?? '' : '';
  if (c === "'") {
    const escapes = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(sql[i - 2] ?? ' ');
    return endOfQuoted(sql, i + 1, "'", escapes);
  }
  if (c === '"') return endOfQuoted(sql, i + 1, '"', false);
  if (c === '-' && next === '-') {
    const eol = sql.indexOf('\n', i + 2);
    return eol === -1 ? sql.length : eol + 1;
  }
  if (c === '/' && next === '*') return endOfBlockComment(sql, i + 2);
  if (c === '$' && !IDENT_CHAR.test(prev)) {
    DOLLAR_TAG.lastIndex = i;
    const tag = DOLLAR_TAG.exec(sql)?.[0];
    if (tag === undefined) return -1;
    const close = sql.indexOf(tag, i + tag.length);
    return close === -1 ? sql.length : close + tag.length;
  }
  return -1;
}

function endOfQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  for (let j = from; j < sql.length; j++) {
    const c = sql[j];
    if (backslashEscapes && c === '\\') j++;
    else if (c === quote) {
      if (sql[j + 1] !== quote) return j + 1;
      j++;
    }
  }
  return sql.length;
}

function endOfBlockComment(sql: string, from: number): number {
  let depth = 1;
  for (let j = from; j < sql.length - 1; j++) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j++;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return sql.length;
}

/** Rewrites the code of `sql` piece by piece with `fn`, leaving literals, quoted identifiers and comments as they are. */
export function mapCode(sql: string, fn: (code: string) => string): string {
  let out = '';
  let codeStart = 0;
  for (let i = 0; i < sql.length; ) {
    const end = skipQuoted(sql, i);
    if (end === -1) {
      i++;
      continue;
    }
    out += fn(sql.slice(codeStart, i)) + sql.slice(i, end);
    codeStart = i = end;
  }
  return out + fn(sql.slice(codeStart));
}

/** `?, ?, …`: n placeholders for a VALUES row or an IN list. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Rewrites `?` placeholders to PostgreSQL's `$1..$n`, outside literals, quoted identifiers and comments. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return mapCode(sql, (code) => code.replace(/\?/g, () => `$${++n}`));
}

/**
 * Whether a statement only reads: its first keyword is SELECT (or it is a VALUES or SHOW). Such a
 * statement can run again after its answer was lost. A SELECT must therefore never call a function
 * that writes; writes are INSERT, UPDATE or DELETE statements.
 */
export function isReadOnlyStatement(sql: string): boolean {
  let first = '';
  mapCode(sql, (code) => {
    if (first === '') first = /[A-Za-z]+/.exec(code)?.[0] ?? '';
    return code;
  });
  return ['SELECT', 'VALUES', 'SHOW'].includes(first.toUpperCase());
}

/** A statement as PostgreSQL is sent it. */
export interface PgStatement {
  /** The text with `$n` placeholders. */
  readonly text: string;
  /** See `isReadOnlyStatement`. */
  readonly readOnly: boolean;
}

/**
 * Converted statements by their `?` text, so each distinct text is scanned once. Bounded: texts
 * built per call (a VALUES list per batch size) cannot grow it without limit; the oldest goes first.
 */
export class PgStatements {
  private readonly cache = new Map<string, PgStatement>();

  constructor(private readonly capacity = 1000) {}

  get(sql: string): PgStatement {
    let st = this.cache.get(sql);
    if (st === undefined) {
      st = { text: toPgPlaceholders(sql), readOnly: isReadOnlyStatement(sql) };
      if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(sql, st);
    }
    return st;
  }
}
