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

export function openDatabase(config: DatabaseConfig): Database {
  const url = config.url;
  if (url === undefined || url === '') return new SqliteDatabase(join(config.dataDir, 'certainty.db'), config.sqlite);
  if (/^postgres(ql)?:\/\//.test(url)) return new PostgresDatabase(url, config.postgres);
  if (url.startsWith('sqlite:')) return new SqliteDatabase(url.slice('sqlite:'.length), config.sqlite);
  throw new Error(
    `database.url must start with postgres://, postgresql:// or sqlite: (got a value starting "${url.slice(0, 12)}"); unset it to use SQLite in the data directory`,
  );
}

/** A short description of where the data lives, without credentials. */
export function describeDatabase(url: string | undefined, dataDir: string): string {
  if (url === undefined || url === '') return `sqlite ${join(dataDir, 'certainty.db')}`;
  try {
    const u = new URL(url);
    return `postgres ${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparseable url)';
  }
}
