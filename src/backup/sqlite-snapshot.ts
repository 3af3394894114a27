import BetterSqlite3 from 'better-sqlite3';
import type { Config } from '../config/schema.ts';
import { databaseKind, sqliteFile } from '../store/open.ts';

/** What a backup records about the snapshot it took, read from the snapshot itself. */
export interface SnapshotFacts {
  schemaVersion: number;
  /** Every row of `settings` (the KEK verifier and, with a passphrase, its salt among them). */
  settings: Record<string, string>;
  tables: Record<string, number>;
}

/** The SQLite file the configuration points at. */
export function sqlitePath(config: Config): string {
  return sqliteFile(config.database.url, config.dataDir);
}

/** Whether the configuration names a PostgreSQL database. */
export function isPostgres(config: Config): boolean {
  return databaseKind(config.database.url) === 'postgres';
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Reads schema version, settings and row counts from an SQLite file, read-only. */
function readSqliteFacts(path: string): SnapshotFacts {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as Array<{ name: string }>;
    const tables: Record<string, number> = {};
    for (const { name } of names) tables[name] = (db.prepare(`SELECT COUNT(*) AS n FROM ${quote(name)}`).get() as { n: number }).n;
    if (!('schema_migrations' in tables) || !('settings' in tables)) return { schemaVersion: 0, settings: {}, tables };
    const schema = db.prepare('SELECT MAX(id) AS id FROM schema_migrations').get() as { id: number | null };
    const rows = db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    return { schemaVersion: Number(schema.id ?? 0), settings: Object.fromEntries(rows.map((r) => [r.key, r.value])), tables };
  } finally {
    db.close();
  }
}

/**
 * An online, consistent copy of a live SQLite database. `VACUUM INTO` runs in one read
 * transaction on a second, read-only connection: in WAL mode it sees one snapshot while the
 * server keeps writing, and the copy is compacted and self-contained (no -wal file).
 */
export function snapshotSqlite(source: string, dest: string): SnapshotFacts {
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    // A CLI process may block briefly: the server's writes only hold the lock for a moment.
    db.pragma('busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
  const copy = new BetterSqlite3(dest, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the snapshot of ${source} fails SQLite's quick_check (${String(check)}); the database may be corrupt`);
  } finally {
    copy.close();
  }
  return readSqliteFacts(dest);
}

/** Number of tables in an SQLite file; 0 for a missing or empty file. */
export function sqliteTableCount(path: string): number {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type IN ('table', 'view')`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}
