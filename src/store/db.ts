/**
 * The narrow database interface every domain uses. SQL is written once with `?` placeholders;
 * each implementation adapts it (src/store/sql-text.ts says what counts as a placeholder). Dialect
 * differences are declared as capabilities on `Dialect`, never as `if (postgres)` in domain code.
 */

type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs a statement that returns rows. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  exec(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** What a transaction callback runs its statements on. */
export interface Transaction extends Queryable {
  /** Runs several `;`-separated statements without parameters as one script (a migration). */
  execScript(sql: string): Promise<void>;
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** SQL expression for the database clock in epoch milliseconds (nodes with skewed clocks agree). */
  readonly nowMs: string;
  /** Suffix for a claim query's inner select: row locks skipped by concurrent claimers. */
  readonly skipLocked: string;
  /** Suffix that locks selected rows until commit ('' where transactions are already serial). */
  readonly forUpdate: string;
}

export interface Database extends Queryable {
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. `fn` may
   * run again (on PostgreSQL after a broken connection, only when its first run provably did not
   * commit), so what it does outside the database must be safe to repeat. On SQLite, transactions
   * queued together share one COMMIT (see SqliteDatabase): the promise settles after that COMMIT,
   * so `fn` must not wait for another transaction's result, or for anything that does.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Whether writes are accepted (false on a PostgreSQL standby). */
  writable(): Promise<boolean>;
  close(): Promise<void>;
}

/** Unique-key violation, as reported by either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** SQLSTATEs and driver codes that mean "this connection (or server) is gone or no longer the primary". */
const CONNECTION_CODES = new Set([
  '25006', // read_only_sql_transaction: connected to a server that is now a standby
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
  '08000', '08001', '08003', '08004', '08006', '08007',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);

/** True when a statement failed because its connection (or server) is gone or no longer takes writes. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** SQLSTATE 08007, transaction_resolution_unknown: the COMMIT's answer was lost and its fate could not be learnt. */
export class CommitOutcomeUnknownError extends Error {
  readonly code = '08007';
  constructor(readonly xid: string, cause: unknown) {
    super(`the database connection broke while committing transaction ${xid} and whether it committed could not be determined; the operation may or may not have taken effect`, { cause });
    this.name = 'CommitOutcomeUnknownError';
  }
}
