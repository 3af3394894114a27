// An archive written at the first schema is restored and then migrated forward to the current one.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createBackup } from '../../src/backup/backup.ts';
import { restoreBackup } from '../../src/backup/restore.ts';
import { ensureCa } from '../../src/ca/authority.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { openDb } from '../../src/config/database.ts';
import { openCa } from '../../src/context.ts';
import { openKek } from '../../src/kek/open.ts';
import { SqlIssuerStore } from '../../src/store/issuer-store.ts';
import { SqlKekSettingsStore } from '../../src/store/kek-store.ts';
import { createLogger } from '../../src/logger.ts';
import { LATEST_SCHEMA, migrate } from '../../src/store/migrations.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const PG = { binDir: undefined, timeoutMs: 120_000 };

function configFor(dataDir: string, databaseUrl: string | undefined): Config {
  return loadConfig({ env: { CERTAINTY_DATA_DIR: dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) } });
}

/** The first schema a release shipped with: an archive from then has every later migration to apply. */
const FIRST_SCHEMA = Math.min(...MIGRATIONS.map((m) => m.id));

for (const dialect of dialects()) {
  describe(`restore of an older archive (${dialect})`, { timeout: 120_000 }, () => {
    test('is migrated forward through every later migration and its CA opens unchanged', async () => {
      assert.ok(FIRST_SCHEMA < LATEST_SCHEMA, 'there is a later migration to apply');
      const work = await makeTempDir('backup-migrate');
      try {
        const source = configFor(join(work, 'source'), await freshDatabaseUrl(dialect));
        const db = openDb(source);
        let rootPem: string | undefined;
        try {
          await migrate(db, Date.now, MIGRATIONS.filter((m) => m.id === FIRST_SCHEMA));
          const kek = await openKek(new SqlKekSettingsStore(db), source.kek, source.dataDir, true);
          await ensureCa({ issuers: new SqlIssuerStore(db), kek }, { name: 'Old', algorithm: 'ecdsa-p256', rootValidityDays: 30, intermediateValidityDays: 20 }, new Date());
          rootPem = (await db.query<{ cert_pem: string }>(`SELECT cert_pem FROM issuers WHERE role = 'root'`))[0]?.cert_pem;
        } finally {
          await db.close();
        }
        const out = join(work, 'old.certainty');
        const backup = await createBackup(source, { out, overwrite: false, pg: PG });
        assert.equal(backup.manifest.schemaVersion, FIRST_SCHEMA);

        const target = configFor(join(work, 'target'), await freshDatabaseUrl(dialect));
        mkdirSync(target.dataDir);
        copyFileSync(join(source.dataDir, 'kek.key'), join(target.dataDir, 'kek.key'));
        const restored = await restoreBackup(target, out, PG);
        assert.equal(restored.schemaBefore, FIRST_SCHEMA);
        assert.equal(restored.schemaAfter, LATEST_SCHEMA);
        assert.deepEqual(restored.applied, MIGRATIONS.filter((m) => m.id > FIRST_SCHEMA).map((m) => `${m.id}-${m.name}`));
        // Opened without creating anything: it needs the current schema and finds the old CA in it.
        const ctx = await openCa(target, createLogger('silent'), Date.now, false);
        try {
          assert.match(rootPem ?? '', /BEGIN CERTIFICATE/);
          assert.equal(ctx.authority.rootPem, rootPem);
        } finally {
          await ctx.db.close();
        }
      } finally {
        await removeDir(work);
      }
    });
  });
}
