import { mkdirSync } from 'node:fs';
import type { Database } from '../store/db.ts';
import { openDatabase } from '../store/open.ts';
import type { Config } from './schema.ts';

/** Opens the database the configuration names (the data directory is created for SQLite). */
export function openDb(config: Config): Database {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return openDatabase({
    url: config.database.url,
    dataDir: config.dataDir,
    sqlite: { synchronous: config.database.sqliteSynchronous },
    postgres: {
      poolSize: config.database.poolSize,
      connectTimeoutSeconds: config.database.connectTimeoutSeconds,
      statementTimeoutMs: config.database.statementTimeoutMs,
    },
  });
}
