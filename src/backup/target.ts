import { copyFile, link, mkdir, rm, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { describeDatabase, openDatabase } from '../store/open.ts';
import type { Manifest } from './manifest.ts';
import { pgTables, restorePostgres, type PgToolOptions } from './pg-snapshot.ts';
import { isPostgres, sqlitePath, sqliteTableCount } from './sqlite-snapshot.ts';

/** Where a restore writes, found empty. */
export type Target =
  | { dialect: 'sqlite'; path: string; dataDir: string; replaceEmptyFile: boolean }
  | { dialect: 'postgres'; url: string };

const DIALECT_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;

/**
 * Checks that the configured database is empty, without creating it: no SQLite file (or one
 * without tables), or a PostgreSQL database without tables. Other files in the data directory,
 * such as the KEK file, are left alone.
 */
export async function emptyTarget(config: Config): Promise<Target> {
  const where = describeDatabase(config.database.url, config.dataDir);
  const refuse = (what: string): Error =>
    new Error(`the target database (${where}) ${what}; restore only into an empty one (a new data directory or an empty database) so nothing is overwritten`);
  if (isPostgres(config)) {
    const tables = await pgTablesOf(config, where);
    if (tables.length > 0) throw refuse(`is not empty: it has ${tables.length} tables (${tables.slice(0, 3).map((t) => t.name).join(', ')}${tables.length > 3 ? ', …' : ''})`);
    return { dialect: 'postgres', url: config.database.url as string };
  }
  const path = sqlitePath(config);
  if (!existsSync(path)) {
    if (existsSync(`${path}-wal`)) throw refuse(`has a leftover ${path}-wal without its database; remove it`);
    return { dialect: 'sqlite', path, dataDir: config.dataDir, replaceEmptyFile: false };
  }
  const tables = sqliteTableCount(path);
  if (tables > 0) throw refuse(`is not empty: ${path} has ${tables} tables`);
  return { dialect: 'sqlite', path, dataDir: config.dataDir, replaceEmptyFile: true };
}

async function pgTablesOf(config: Config, where: string): Promise<Array<{ name: string }>> {
  // Not openDb: it creates the data directory, and a refused restore must leave no trace.
  const db = openDatabase({
    url: config.database.url, dataDir: config.dataDir, sqlite: { synchronous: config.database.sqliteSynchronous },
    postgres: { poolSize: 1, connectTimeoutSeconds: config.database.connectTimeoutSeconds, statementTimeoutMs: config.database.statementTimeoutMs },
  });
  try {
    return await pgTables(db);
  } catch (err) {
    throw new Error(`cannot reach the target database (${where}): ${(err as Error).message}`, { cause: err });
  } finally {
    await db.close();
  }
}

/** Refuses an archive the target cannot take: another dialect, or a newer schema than this build knows. */
export function checkCompatible(manifest: Manifest, target: Target, latestSchema: number): void {
  if (manifest.dialect !== target.dialect) {
    throw new Error(
      `the archive holds a ${DIALECT_NAMES[manifest.dialect]} database and the target is ${DIALECT_NAMES[target.dialect]}; restores across dialects are not supported: ${manifest.dialect === 'postgres' ? 'set database.url (CERTAINTY_DATABASE_URL) to an empty PostgreSQL database' : 'unset database.url to restore into the SQLite file of the data directory'}`,
    );
  }
  if (manifest.schemaVersion > latestSchema) {
    throw new Error(`the archive's schema (version ${manifest.schemaVersion}, written by Certainty ${manifest.certaintyVersion}) is newer than this Certainty knows (${latestSchema}); restore it with Certainty ${manifest.certaintyVersion} or newer`);
  }
}

/**
 * Puts the payload in place. SQLite: copied beside the target under a temporary name, then
 * hard-linked to the final name, which fails rather than replace a file that appeared meanwhile.
 * PostgreSQL: pg_restore in one transaction.
 */
export async function writeTarget(target: Target, payloadPath: string, pg: PgToolOptions): Promise<void> {
  if (target.dialect === 'postgres') {
    await restorePostgres(payloadPath, target.url, pg);
    return;
  }
  await mkdir(target.dataDir, { recursive: true, mode: 0o700 });
  if (target.replaceEmptyFile) {
    if (sqliteTableCount(target.path) > 0) throw new Error(`${target.path} is no longer empty; nothing was restored`);
    for (const suffix of ['', '-wal', '-shm']) await rm(`${target.path}${suffix}`, { force: true });
  }
  const partial = `${target.path}.restoring-${process.pid}`;
  try {
    await copyFile(payloadPath, partial);
    await link(partial, target.path).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' ? new Error(`${target.path} appeared during the restore; nothing was restored`) : err;
    });
  } finally {
    await unlink(partial).catch(() => undefined);
  }
}
