import { join } from 'node:path';
import type { Database } from '../../src/store/db.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { SqliteDatabase } from '../../src/store/sqlite.ts';
import { freshDatabaseUrl } from './node.ts';
import { makeTempDir, removeDir } from './tmp.ts';

/** Two connections to one fresh, empty database, as two nodes would hold them. */
export async function openTwo(dialect: 'sqlite' | 'postgres'): Promise<{ a: Database; b: Database; cleanup: () => Promise<void> }> {
  if (dialect === 'postgres') {
    const url = (await freshDatabaseUrl('postgres')) as string;
    const opts = { poolSize: 3, connectTimeoutSeconds: 5, statementTimeoutMs: 10000 };
    const a = new PostgresDatabase(url, opts);
    const b = new PostgresDatabase(url, opts);
    return { a, b, cleanup: async () => { await a.close(); await b.close(); } };
  }
  const dir = await makeTempDir('migrate');
  const a = new SqliteDatabase(join(dir, 'db.sqlite'));
  const b = new SqliteDatabase(join(dir, 'db.sqlite'));
  return { a, b, cleanup: async () => { await a.close(); await b.close(); await removeDir(dir); } };
}
