import type { Database, Dialect, Queryable } from './db.ts';
import { MIGRATIONS, type Migration } from './schema.ts';
import { mapCode } from './sql-text.ts';

export interface MigrationReport {
  applied: Array<{ id: number; name: string }>;
  current: number;
  latest: number;
}

export const LATEST_SCHEMA = MIGRATIONS.reduce((max, m) => Math.max(max, m.id), 0);

/** A migration's script for the dialect: `BLOB` in code (not in a literal or comment) is `BYTEA` on PostgreSQL. */
function adapt(sql: string, dialect: Dialect): string {
  return dialect.name === 'postgres' ? mapCode(sql, (code) => code.replace(/\bBLOB\b/g, 'BYTEA')) : sql;
}

async function ensureLedger(q: Queryable): Promise<void> {
  await q.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
}

/** Highest applied migration, or 0 on an empty database. Read-only: safe on a standby and in health checks. */
export async function currentSchema(db: Database): Promise<number> {
  try {
    const rows = await db.query<{ id: number | null }>('SELECT MAX(id) AS id FROM schema_migrations');
    return Number(rows[0]?.id ?? 0);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === '42P01' || /no such table/.test(e.message ?? '')) return 0;
    throw err;
  }
}

/**
 * Applies pending migrations, each in its own transaction. Safe when several nodes start at once:
 * on PostgreSQL a transaction-scoped advisory lock serialises them, on SQLite BEGIN IMMEDIATE does;
 * a migration already recorded by another node is skipped. Each migration runs as one script, so a
 * `;` inside a literal, a comment or a function body is just text.
 */
export async function migrate(db: Database, now: () => number = Date.now, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  await ensureLedger(db);
  const applied: Array<{ id: number; name: string }> = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      if (db.dialect.name === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(738201)');
      const rows = await tx.query('SELECT id FROM schema_migrations WHERE id = ?', [m.id]);
      if (rows.length > 0) return false;
      await tx.execScript(adapt(m.sql, db.dialect));
      await tx.exec('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [m.id, m.name, now()]);
      return true;
    });
    if (done) applied.push({ id: m.id, name: m.name });
  }
  return { applied, current: await currentSchema(db), latest: migrations.reduce((max, m) => Math.max(max, m.id), 0) };
}
