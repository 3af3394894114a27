import postgres from 'postgres';
import type { Database, Dialect, Queryable } from './db.ts';

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

/** Rewrites `?` placeholders to `$1..$n`. Our SQL never has `?` inside string literals. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** SQLSTATEs and driver codes that mean "this connection (or server) is gone or no longer the primary". */
const CONNECTION_CODES = new Set([
  '25006', // read_only_sql_transaction: connected to a server that is now a standby
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
  '08000', '08001', '08003', '08004', '08006', '08007',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);

export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/**
 * PostgreSQL through postgres.js, chosen because it accepts a multi-host URL with
 * `target_session_attrs=read-write` (node-postgres has no multi-host support), so a node follows
 * the primary after a failover. When a statement fails because its connection broke or the server
 * turned read-only, the whole pool is replaced (pooled connections to a demoted primary are
 * poisoned) and the operation is retried once on a fresh connection. A failed transaction was not
 * committed, or, if the failure hit COMMIT itself, the retry meets the compare-and-swap checks
 * every write carries and changes nothing twice.
 */
export class PostgresDatabase implements Database {
  readonly dialect = dialect;
  private sql: postgres.Sql;
  private resets = 0;

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

  /** Throws away every pooled connection; the next statement connects afresh (to the current primary). */
  private reset(broken: postgres.Sql): void {
    if (this.sql !== broken) return;
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

  private async withRetry<T>(op: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    const sql = this.sql;
    try {
      return await op(sql);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.reset(sql);
      return op(this.sql);
    }
  }

  query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.withRetry((sql) => runQuery<T>(sql, text, params));
  }

  exec(text: string, params: readonly unknown[] = []): Promise<number> {
    return this.withRetry((sql) => runExec(sql, text, params));
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withRetry(async (sql) => {
      const result = await sql.begin(async (txSql) => {
        const tx: Queryable = {
          query: <R>(text: string, params: readonly unknown[] = []) => runQuery<R>(txSql, text, params),
          exec: (text: string, params: readonly unknown[] = []) => runExec(txSql, text, params),
        };
        return fn(tx);
      });
      return result as T;
    });
  }

  /** True when connected to a primary that accepts writes; a standby resets the pool. */
  async writable(): Promise<boolean> {
    const rows = await this.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (rows[0]?.standby !== true) return true;
    this.reset(this.sql);
    return false;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

type Runner = postgres.Sql | postgres.TransactionSql;

async function runQuery<T>(sql: Runner, text: string, params: readonly unknown[]): Promise<T[]> {
  const rows = await sql.unsafe(toPgPlaceholders(text), params.map(bind) as postgres.ParameterOrJSON<never>[], { prepare: true });
  // A plain array, like SQLite's: postgres.js returns an Array subclass with extra fields.
  return Array.from(rows) as unknown as T[];
}

async function runExec(sql: Runner, text: string, params: readonly unknown[]): Promise<number> {
  const result = await sql.unsafe(toPgPlaceholders(text), params.map(bind) as postgres.ParameterOrJSON<never>[], { prepare: true });
  return result.count;
}

function bind(value: unknown): unknown {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value);
  if (value === undefined) return null;
  return value;
}
