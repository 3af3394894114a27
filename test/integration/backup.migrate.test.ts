// An archive written at an older schema is restored and then migrated forward to the current one.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createBackup } from '../../src/backup/backup.ts';
import { restoreBackup } from '../../src/backup/restore.ts';
import { ensureCa } from '../../src/ca/authority.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { openCa, openDb } from '../../src/context.ts';
import { openKek } from '../../src/kek/open.ts';
import { createLogger } from '../../src/logger.ts';
import type { Database } from '../../src/store/db.ts';
import { LATEST_SCHEMA } from '../../src/store/migrations.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const PG = { binDir: undefined, timeoutMs: 120_000 };

function configFor(dataDir: string, databaseUrl: string | undefined): Config {
  return loadConfig({ env: { CERTAINTY_DATA_DIR: dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) } });
}

/** Applies every migration but the last, the way src/store/migrations.ts does. */
async function migrateToPrevious(db: Database): Promise<number> {
  await db.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const older = MIGRATIONS.filter((m) => m.id < LATEST_SCHEMA);
  for (const m of older) {
    const sql = db.dialect.name === 'postgres' ? m.sql.replace(/\bBLOB\b/g, 'BYTEA') : m.sql;
    for (const statement of sql.split(';').map((s) => s.trim()).filter((s) => s !== '')) await db.exec(statement);
    await db.exec('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [m.id, m.name, Date.now()]);
  }
  return Math.max(...older.map((m) => m.id));
}

for (const dialect of dialects()) {
  describe(`restore of an older archive (${dialect})`, { timeout: 120_000 }, () => {
    test('is migrated forward to the current schema and its CA opens', { skip: LATEST_SCHEMA < 2 ? 'only one migration exists' : false }, async () => {
      const work = await makeTempDir('backup-migrate');
      try {
        const source = configFor(join(work, 'source'), await freshDatabaseUrl(dialect));
        const db = openDb(source);
        let previous: number;
        try {
          previous = await migrateToPrevious(db);
          const kek = await openKek(db, source.kek, source.dataDir, true);
          await ensureCa(db, kek, { name: 'Old', algorithm: 'ecdsa-p256', rootValidityDays: 30, intermediateValidityDays: 20 }, new Date());
        } finally {
          await db.close();
        }
        const out = join(work, 'old.certainty');
        const backup = await createBackup(source, { out, overwrite: false, pg: PG });
        assert.equal(backup.manifest.schemaVersion, previous);

        const target = configFor(join(work, 'target'), await freshDatabaseUrl(dialect));
        mkdirSync(target.dataDir);
        copyFileSync(join(source.dataDir, 'kek.key'), join(target.dataDir, 'kek.key'));
        const restored = await restoreBackup(target, out, PG);
        assert.equal(restored.schemaBefore, previous);
        assert.equal(restored.schemaAfter, LATEST_SCHEMA);
        assert.ok(restored.applied.includes(`${LATEST_SCHEMA}-${MIGRATIONS.find((m) => m.id === LATEST_SCHEMA)?.name}`), restored.applied.join(','));
        const ctx = await openCa(target, createLogger('silent'), Date.now, false);
        assert.match(ctx.authority.rootPem, /BEGIN CERTIFICATE/);
        await ctx.db.close();
      } finally {
        await removeDir(work);
      }
    });
  });
}
