// A data directory and database that `certainty restore` writes into, and how tests look at one.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { REPO_ROOT } from './certainty.ts';
import { freshDatabaseUrl, type Dialect } from './node.ts';
import { runUnchecked, type RunResult } from './run.ts';

const BIN = join(REPO_ROOT, 'bin', 'certainty.js');

/** Where an installation keeps its state: undefined `databaseUrl` is SQLite in the data directory. */
export interface Target {
  dataDir: string;
  databaseUrl: string | undefined;
}

/** Runs a `certainty` command against `target`, its log silenced. */
export function certaintyAt(target: Target, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
  // Unset = SQLite: a CERTAINTY_DATABASE_URL in the caller's environment must not leak in.
  const env = { CERTAINTY_DATABASE_URL: target.databaseUrl, CERTAINTY_DATA_DIR: target.dataDir, CERTAINTY_LOG_LEVEL: 'silent', ...extraEnv };
  return runUnchecked(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, timeoutMs: 120_000 });
}

/** Files in the data directory and, on PostgreSQL, the tables of the database. */
export async function targetContents(target: Target): Promise<string[]> {
  const files = readdirSync(target.dataDir).sort();
  if (target.databaseUrl === undefined) return files;
  const sql = postgres(target.databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`;
    return [...files, ...rows.map((r) => `table:${String(r.tablename)}`)];
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * An empty target in `<work>/<name>` on a fresh database of `dialect`, holding as its KEK file
 * `kek` when given, else a copy of `kekFrom`'s.
 */
export async function emptyTarget(work: string, name: string, dialect: Dialect, kekFrom: string, kek?: string): Promise<Target> {
  const dataDir = join(work, name);
  mkdirSync(dataDir);
  if (kek === undefined) copyFileSync(join(kekFrom, 'kek.key'), join(dataDir, 'kek.key'));
  else writeFileSync(join(dataDir, 'kek.key'), kek, { mode: 0o600 });
  return { dataDir, databaseUrl: await freshDatabaseUrl(dialect) };
}
