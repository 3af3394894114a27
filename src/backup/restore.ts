import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openDb } from '../context.ts';
import type { Database } from '../store/db.ts';
import { LATEST_SCHEMA, migrate } from '../store/migrations.ts';
import { describeDatabase } from '../store/open.ts';
import { readArchive, type OpenedArchive } from './archive.ts';
import { checkArchiveKek } from './kek-check.ts';
import { readPgFacts, settingsFromDump, type PgToolOptions } from './pg-snapshot.ts';
import { readSqliteFacts } from './sqlite-snapshot.ts';
import { checkCompatible, emptyTarget, writeTarget, type Target } from './target.ts';

/** A scratch directory for an archive's payload, removed afterwards. */
export async function withWorkDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-restore-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The `settings` rows of an archive's payload, read without writing anywhere. */
export async function archiveSettings(archive: OpenedArchive, pg: PgToolOptions): Promise<Record<string, string>> {
  if (archive.manifest.dialect === 'postgres') return settingsFromDump(archive.payloadPath, pg);
  return readSqliteFacts(archive.payloadPath).settings;
}

/** Row counts of the restored tables against the manifest's: a restore that lost rows is an error. */
function compareCounts(expected: Record<string, number>, found: Record<string, number>): void {
  for (const [table, rows] of Object.entries(expected)) {
    if (found[table] !== rows) throw new Error(`the restored table ${table} has ${String(found[table] ?? 'no')} rows where the archive recorded ${rows}`);
  }
}

async function restoredCounts(db: Database): Promise<Record<string, number>> {
  if (db.dialect.name === 'postgres') return (await readPgFacts(db)).tables;
  const names = await db.query<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`);
  const tables: Record<string, number> = {};
  for (const { name } of names) tables[name] = Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`))[0]?.n ?? 0);
  return tables;
}

export interface Migrated {
  schemaBefore: number;
  schemaAfter: number;
  applied: string[];
}

/** After the payload is in place: every table holds what the manifest says, then the schema is migrated forward. */
export async function finishRestore(config: Config, archive: OpenedArchive): Promise<Migrated> {
  const db = openDb(config);
  try {
    compareCounts(archive.manifest.tables, await restoredCounts(db));
    const report = await migrate(db);
    return { schemaBefore: archive.manifest.schemaVersion, schemaAfter: report.current, applied: report.applied.map((m) => `${m.id}-${m.name}`) };
  } finally {
    await db.close();
  }
}

export interface RestoreResult extends Migrated {
  from: string;
  target: string;
  dialect: 'sqlite' | 'postgres';
  createdAt: string;
  tables: Record<string, number>;
  ms: number;
}

/**
 * Restores an archive into the configured, empty database. Nothing is written until the target
 * is found empty, the archive verified and the configured KEK shown to open the backup.
 */
export async function restoreBackup(config: Config, from: string, pg: PgToolOptions): Promise<RestoreResult> {
  const started = performance.now();
  const target: Target = await emptyTarget(config);
  return withWorkDir(async (work) => {
    const archive = await readArchive(from, work);
    checkCompatible(archive.manifest, target, LATEST_SCHEMA);
    await checkArchiveKek(config, archive.manifest, await archiveSettings(archive, pg));
    await writeTarget(target, archive.payloadPath, pg);
    const migrated = await finishRestore(config, archive);
    return {
      from, target: describeDatabase(config.database.url, config.dataDir), dialect: target.dialect, createdAt: archive.manifest.createdAt,
      tables: archive.manifest.tables, ...migrated, ms: Math.round(performance.now() - started),
    };
  });
}
