import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openDb } from '../config/database.ts';
import { describeDatabase } from '../store/open.ts';
import { VERSION } from '../version.ts';
import { hashFile, writeArchive } from './archive.ts';
import { openBackupKek } from './kek-check.ts';
import { FORMAT, FORMAT_VERSION, PAYLOAD_NAMES, type Manifest } from './manifest.ts';
import { dumpPostgres, type PgToolOptions } from './pg-snapshot.ts';
import { sealManifest } from './seal.ts';
import { isPostgres, snapshotSqlite, sqlitePath, type SnapshotFacts } from './sqlite-snapshot.ts';
import { stepProgress, type OnProgress } from './steps.ts';

export interface BackupOptions {
  out: string;
  /** Replace `out` when it exists. */
  overwrite: boolean;
  pg: PgToolOptions;
  now?: () => number;
  /** Told as each step starts (the CLI draws a bar from it). */
  onProgress?: OnProgress;
}

const BACKUP_STEPS = ['taking a snapshot', 'opening the KEK', 'hashing the payload', 'writing the archive', 'hashing the archive'] as const;

export interface BackupResult {
  out: string;
  bytes: number;
  sha256: string;
  ms: number;
  manifest: Manifest;
  /** The KEK whose sealed key MACs the archive. */
  kekId: string;
}

function readNodeId(dataDir: string): string | null {
  const path = join(dataDir, 'server_id');
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

async function takeSnapshot(config: Config, dest: string, pg: PgToolOptions): Promise<SnapshotFacts> {
  if (!isPostgres(config)) {
    const source = sqlitePath(config);
    if (!existsSync(source)) throw new Error(`there is no database at ${source} to back up; check dataDir / CERTAINTY_DATA_DIR`);
    return snapshotSqlite(source, dest);
  }
  const db = openDb(config);
  try {
    return await dumpPostgres(db, config.database.url as string, dest, pg);
  } finally {
    await db.close();
  }
}

/**
 * Writes a consistent archive of the configured database while it keeps serving, authenticated
 * with a MAC under the KEK (src/backup/seal.ts). The KEK is never in it: the key file is not part
 * of the database, and a passphrase is never stored.
 */
export async function createBackup(config: Config, options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const out = resolve(options.out);
  if (!options.overwrite && existsSync(out)) throw new Error(`${out} already exists; choose another --out or pass --force`);
  if (!existsSync(dirname(out))) throw new Error(`the directory of --out (${dirname(out)}) does not exist; create it first`);
  const work = await mkdtemp(join(dirname(out), '.certainty-backup-'));
  try {
    const dialect = isPostgres(config) ? 'postgres' : 'sqlite';
    const payloadPath = join(work, PAYLOAD_NAMES[dialect]);
    const createdAt = new Date(now()).toISOString();
    const steps = stepProgress(BACKUP_STEPS, options.onProgress);
    steps.start('taking a snapshot');
    const facts = await takeSnapshot(config, payloadPath, options.pg);
    if (facts.schemaVersion === 0) throw new Error(`the database (${describeDatabase(config.database.url, config.dataDir)}) is empty: nothing to back up`);
    const check = facts.settings['kek.check'];
    if (check === undefined) throw new Error('the database has no KEK verifier yet (settings kek.check): start the server or run "certainty init" once first');
    const kek = { check, salt: facts.settings['kek.salt'] ?? null };
    steps.start('opening the KEK');
    const keyring = await openBackupKek(config, kek);
    steps.start('hashing the payload');
    const payload = await hashFile(payloadPath);
    const manifest: Manifest = {
      format: FORMAT, formatVersion: FORMAT_VERSION, certaintyVersion: VERSION, schemaVersion: facts.schemaVersion, dialect, createdAt,
      nodeId: readNodeId(config.dataDir), source: describeDatabase(config.database.url, config.dataDir), kek,
      tables: facts.tables,
      payload: { name: PAYLOAD_NAMES[dialect], encoding: dialect === 'sqlite' ? 'sqlite3' : 'pg_dump-custom', ...payload },
    };
    steps.start('writing the archive');
    await writeArchive(out, manifest, (json) => sealManifest(keyring, json), payloadPath, options.overwrite);
    steps.start('hashing the archive');
    const written = await hashFile(out);
    steps.finish();
    return { out, bytes: written.size, sha256: written.sha256, ms: Math.round(performance.now() - started), manifest, kekId: keyring.current.id };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
