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

/**
 * PostgreSQL through postgres.js: it accepts a multi-host URL with
 * `target_session_attrs=read-write`, so a node follows the primary after a failover.
 */
export class PostgresDatabase implements Database {
  readonly dialect = dialect;
  private readonly sql: postgres.Sql;

  constructor(url: string, options: PostgresOptions) {
    this.sql = postgres(url, {
      max: options.poolSize,
      connect_timeout: options.connectTimeoutSeconds,
      idle_timeout: 60,
      onnotice: () => undefined,
      connection: { statement_timeout: options.statementTimeoutMs, application_name: 'certainty' },
      types: {
        bigint: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) },
      },
    });
  }

  query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return runQuery<T>(this.sql, text, params);
  }

  exec(text: string, params: readonly unknown[] = []): Promise<number> {
    return runExec(this.sql, text, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const result = await this.sql.begin(async (txSql) => {
      const tx: Queryable = {
        query: <R>(text: string, params: readonly unknown[] = []) => runQuery<R>(txSql, text, params),
        exec: (text: string, params: readonly unknown[] = []) => runExec(txSql, text, params),
      };
      return fn(tx);
    });
    return result as T;
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
