import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openDb } from '../config/database.ts';
import type { Database } from '../store/db.ts';
import { LATEST_SCHEMA, migrate } from '../store/migrations.ts';
import { describeDatabase } from '../store/open.ts';
import { readArchive, type OpenedArchive } from './archive.ts';
import { authenticateArchive } from './kek-check.ts';
import { readPgFacts, type PgToolOptions } from './pg-snapshot.ts';
import { stepProgress, type OnProgress } from './steps.ts';
import { checkCompatible, emptyTarget, writeTarget, type Target } from './target.ts';

/** A scratch directory for an archive's payload, removed afterwards. */
async function withWorkDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-restore-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
  /** The KEK the archive's MAC verified under. */
  kekId: string;
  tables: Record<string, number>;
  ms: number;
}

const RESTORE_STEPS = ['verifying the archive', 'writing the database', 'checking rows and migrating'] as const;

/**
 * Restores an archive into the configured, empty database. Nothing is written until the target
 * is found empty and the archive verified: its MAC under the configured KEK (before any payload
 * byte is extracted), its checksums, and that the KEK opens the backup's secrets.
 */
export async function restoreBackup(config: Config, from: string, pg: PgToolOptions, onProgress?: OnProgress): Promise<RestoreResult> {
  const started = performance.now();
  const target: Target = await emptyTarget(config);
  const steps = stepProgress(RESTORE_STEPS, onProgress);
  return withWorkDir(async (work) => {
    steps.start('verifying the archive');
    const archive = await readArchive(from, work, authenticateArchive(config, from));
    checkCompatible(archive.manifest, target, LATEST_SCHEMA);
    steps.start('writing the database');
    await writeTarget(target, archive.payloadPath, pg);
    steps.start('checking rows and migrating');
    const migrated = await finishRestore(config, archive);
    steps.finish();
    return {
      from, target: describeDatabase(config.database.url, config.dataDir), dialect: target.dialect, createdAt: archive.manifest.createdAt, kekId: archive.kekId,
      tables: archive.manifest.tables, ...migrated, ms: Math.round(performance.now() - started),
    };
  });
}
