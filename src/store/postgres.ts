import postgres from 'postgres';
import { CommitOutcomeUnknownError, isConnectionError, type Database, type Dialect, type Transaction } from './db.ts';
import { commitOutcome, TransactionAttempt, type CommitOutcome } from './pg-transaction.ts';
import { PgStatements } from './sql-text.ts';

const dialect: Dialect = {
  name: 'postgres',
  nowMs: '(extract(epoch from clock_timestamp()) * 1000)::bigint',
  skipLocked: 'FOR UPDATE SKIP LOCKED',
  forUpdate: 'FOR UPDATE',
};

export interface PostgresOptions {
  poolSize: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
}

const READ_ONLY = '25006';
const STANDBY_RESET_INTERVAL_MS = 1_000;

/** Of those, the ones that prove the statement never ran: no connection was made, or the server refused it. */
const NOT_RUN_CODES = new Set(['25006', '57P03', '08001', '08004', 'ECONNREFUSED', 'CONNECT_TIMEOUT']);

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;


/**
 * PostgreSQL through postgres.js, chosen because it accepts a multi-host URL with
 * `target_session_attrs=read-write` (node-postgres has no multi-host support), so a node follows
 * the primary after a failover. When a statement fails because its connection broke or the server
 * turned read-only, the whole pool is replaced (pooled connections to a demoted primary are
 * poisoned). The operation is then retried once, but only when it provably did not take effect,
 * since running a write twice is not harmless (a second insert fails, a second revocation finds
 * the certificate revoked):
 * - a single statement: when it only reads, or the error proves it never ran;
 * - a transaction: when the connection broke before COMMIT was sent (the server rolls back), or,
 *   when COMMIT's answer was lost, after the server says the transaction id aborted
 *   (`commitOutcome`). A transaction that committed returns the result of its one run; one whose
 *   fate cannot be learnt fails with `CommitOutcomeUnknownError` (08007).
 */
export class PostgresDatabase implements Database {
  readonly dialect = dialect;
  private sql: postgres.Sql;
  private resets = 0;
  private standbyResetAt = 0;
  private readonly statements = new PgStatements();

  constructor(private readonly url: string, private readonly options: PostgresOptions) {
    this.sql = this.connect();
  }

  private connect(): postgres.Sql {
    return postgres(this.url, {
      max: this.options.poolSize,
      connect_timeout: this.options.connectTimeoutSeconds,
      idle_timeout: 60,
      // Reconnect quickly after an outage (postgres.js backs off up to several seconds by default):
      // a node should be ready again within a fraction of a second of a primary being reachable.
      backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 0.5),
      onnotice: () => undefined,
      connection: { statement_timeout: this.options.statementTimeoutMs, application_name: 'certainty' },
      types: {
        bigint: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) },
      },
    });
  }

  /**
   * Throws away every pooled connection; the next statement connects afresh (to the current primary).
   * A pool that reached a read-only standby (`25006`) is replaced at most once a second: while no
   * primary exists (a failover, with reads routed to a standby) every write and readiness check
   * finds the standby, and reconnecting each time only loads it and slows the reads it serves.
   */
  private reset(broken: postgres.Sql, cause?: unknown): void {
    if (this.sql !== broken) return;
    if (codeOf(cause) === READ_ONLY) {
      if (Date.now() - this.standbyResetAt < STANDBY_RESET_INTERVAL_MS) return;
      this.standbyResetAt = Date.now();
    }
    this.resets += 1;
    this.sql = this.connect();
    // Let statements still running on the old pool finish or fail on their own before it closes;
    // ending it at once destroys their sockets under them.
    broken.end({ timeout: 5 }).catch(() => undefined);
  }

  /** How many times the pool was replaced after a connection failure. */
  get poolResets(): number {
    return this.resets;
  }

  /** A single statement in its own implicit transaction; see the class comment for when it is retried. */
  private async statement<T>(text: string, op: (sql: postgres.Sql, pgText: string) => Promise<T>): Promise<T> {
    const st = this.statements.get(text);
    const sql = this.sql;
    try {
      return await op(sql, st.text);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.reset(sql, err);
      if (!st.readOnly && !NOT_RUN_CODES.has(codeOf(err) as string)) throw err;
      return op(this.sql, st.text);
    }
  }

  query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.statement(text, async (sql, pgText) => Array.from(await run(sql, pgText, params)) as T[]);
  }

  exec(text: string, params: readonly unknown[] = []): Promise<number> {
    return this.statement(text, async (sql, pgText) => (await run(sql, pgText, params)).count);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      const sql = this.sql;
      const attempt = new TransactionAttempt<T>(this.statements, bind);
      try {
        return (await sql.begin((txSql) => attempt.run(txSql, fn))) as T;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        this.reset(sql, err);
        const outcome = await this.outcomeOf(attempt);
        if (outcome === 'committed') return attempt.result as T;
        if (outcome === 'unknown') throw new CommitOutcomeUnknownError(attempt.xid ?? '', err);
        if (tries === 2) throw err;
      }
    }
  }

  /** What a transaction that failed with a connection error did. */
  private async outcomeOf(attempt: TransactionAttempt<unknown>): Promise<CommitOutcome> {
    // COMMIT never sent: the server rolls back when the connection goes.
    if (!attempt.committing) return 'not-committed';
    // No transaction id: nothing was written, so the reads it returned stand as they are.
    if (attempt.xid === null) return 'committed';
    return commitOutcome(this.sql, attempt.xid, attempt.timeline);
  }

  /** True when connected to a primary that accepts writes; a standby resets the pool. */
  async writable(): Promise<boolean> {
    const rows = await this.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (rows[0]?.standby !== true) return true;
    this.reset(this.sql, { code: READ_ONLY });
    return false;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

function run(sql: postgres.Sql, pgText: string, params: readonly unknown[]): postgres.PendingQuery<postgres.Row[]> {
  return sql.unsafe(pgText, params.map(bind) as postgres.ParameterOrJSON<never>[], { prepare: true });
}

function bind(value: unknown): unknown {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value);
  if (value === undefined) return null;
  return value;
}
