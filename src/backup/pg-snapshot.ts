import type { Database, Queryable } from '../store/db.ts';
import { pgDatabaseName, pgTool, runPgTool } from './pg-tools.ts';
import type { SnapshotFacts } from './sqlite-snapshot.ts';

/** Relations of the database outside the system schemas, with the keyword that drops each kind. */
export async function pgTables(q: Queryable): Promise<Array<{ schema: string; name: string; kind: string }>> {
  return q.query<{ schema: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY c.relkind = 'S', 1, 2`,
  );
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Schema version, settings and row counts of the tables in the current schema. */
export async function readPgFacts(tx: Queryable): Promise<SnapshotFacts> {
  const tables: Record<string, number> = {};
  const names = await tx.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  for (const { name } of names) {
    const rows = await tx.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${quote(name)}`);
    tables[name] = Number(rows[0]?.n ?? 0);
  }
  if (!('schema_migrations' in tables) || !('settings' in tables)) return { schemaVersion: 0, settings: {}, tables };
  const schema = await tx.query<{ id: number | null }>('SELECT MAX(id) AS id FROM schema_migrations');
  const settings = await tx.query<{ key: string; value: string }>('SELECT key, value FROM settings');
  return { schemaVersion: Number(schema[0]?.id ?? 0), settings: Object.fromEntries(settings.map((r) => [r.key, r.value])), tables };
}

export interface PgToolOptions {
  binDir: string | undefined;
  timeoutMs: number;
}

/**
 * `pg_dump --format=custom` of the configured database, from the same snapshot the manifest's
 * facts are read in: a REPEATABLE READ transaction exports its snapshot and pg_dump runs with
 * `--snapshot`, so counts, settings and the dump agree while the cluster keeps writing.
 */
export async function dumpPostgres(db: Database, url: string, dest: string, opts: PgToolOptions): Promise<SnapshotFacts> {
  return db.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    // Counting a large table may take longer than the server's statement timeout.
    await tx.exec('SET LOCAL statement_timeout = 0');
    const [snap] = await tx.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const facts = await readPgFacts(tx);
    if (facts.schemaVersion === 0) return facts;
    // -Z 0: the archive is gzip'd as a whole, compressing twice only costs time.
    await runPgTool(pgTool('pg_dump', opts.binDir), ['--format=custom', '--compress=0', `--snapshot=${snap?.id ?? ''}`, `--file=${dest}`, '--no-password'], url, opts.timeoutMs);
    return facts;
  });
}

/**
 * Restores a dump into the (empty) database at `url` in one transaction: on any error nothing is
 * left behind. Owners and grants are not restored; the restoring role owns everything.
 */
export async function restorePostgres(dumpPath: string, url: string, opts: PgToolOptions): Promise<void> {
  await runPgTool(
    pgTool('pg_restore', opts.binDir),
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${pgDatabaseName(url)}`, dumpPath],
    url,
    opts.timeoutMs,
  );
}
