import { join } from 'node:path';
import type { Database } from './db.ts';
import { PostgresDatabase, type PostgresOptions } from './postgres.ts';
import { SqliteDatabase, type SqliteOptions } from './sqlite.ts';

export interface DatabaseConfig {
  /** postgres:// URL; unset means SQLite in the data directory. */
  url: string | undefined;
  dataDir: string;
  sqlite: SqliteOptions;
  postgres: PostgresOptions;
}

/**
 * Which database a `database.url` names: PostgreSQL for postgres:// and postgresql://, SQLite when
 * unset, empty or `sqlite:<path>`, undefined for anything else. The one place the URL is read for
 * its kind: everything that asks (opening, backup, restore, the DR test) asks here.
 */
export function databaseKind(url: string | undefined): 'sqlite' | 'postgres' | undefined {
  if (url === undefined || url === '' || url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  return undefined;
}

/** The SQLite file for a URL of kind 'sqlite': the `sqlite:<path>`, else certainty.db in the data directory. */
export function sqliteFile(url: string | undefined, dataDir: string): string {
  return url !== undefined && url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(dataDir, 'certainty.db');
}

export function openDatabase(config: DatabaseConfig): Database {
  const url = config.url;
  const kind = databaseKind(url);
  if (kind === 'sqlite') return new SqliteDatabase(sqliteFile(url, config.dataDir), config.sqlite);
  if (kind === 'postgres') return new PostgresDatabase(url as string, config.postgres);
  throw new Error(
    `database.url must start with postgres://, postgresql:// or sqlite: (got a value starting "${String(url).slice(0, 12)}"); unset it to use SQLite in the data directory`,
  );
}

/** A short description of where the data lives, without credentials. */
export function describeDatabase(url: string | undefined, dataDir: string): string {
  if (databaseKind(url) === 'sqlite') return `sqlite ${sqliteFile(url, dataDir)}`;
  try {
    const u = new URL(url as string);
    return `postgres ${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparseable url)';
  }
}
