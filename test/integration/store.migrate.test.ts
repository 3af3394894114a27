// Migrations on every dialect: two nodes migrating one empty database at once both succeed and
// the schema is applied exactly once.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentSchema, LATEST_SCHEMA, migrate } from '../../src/store/migrations.ts';
import { openTwo } from '../support/databases.ts';
import { dialects } from '../support/node.ts';

for (const dialect of dialects()) {
  test(`concurrent migrations apply each step once (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      assert.equal(await currentSchema(a), 0);
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      assert.equal(ra.applied.length + rb.applied.length, LATEST_SCHEMA, 'every migration applied by exactly one node');
      assert.equal(await currentSchema(a), LATEST_SCHEMA);
      const rows = await a.query<{ n: number }>('SELECT COUNT(*) AS n FROM schema_migrations');
      assert.equal(Number(rows[0]?.n), LATEST_SCHEMA);
      const again = await migrate(b);
      assert.deepEqual(again.applied, []);
      // The schema is usable: a write and a read of every table name succeed.
      for (const table of ['accounts', 'orders', 'authorizations', 'challenges', 'certificates', 'used_nonces', 'jobs', 'issuers', 'crls', 'eab_keys', 'admin_tokens', 'settings']) {
        await a.query(`SELECT COUNT(*) AS n FROM ${table}`);
      }
    } finally {
      await cleanup();
    }
  });

  test(`a failing transaction rolls back (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      await assert.rejects(a.transaction(async (tx) => {
        await tx.exec('INSERT INTO settings (key, value) VALUES (?, ?)', ['k', 'v']);
        throw new Error('boom');
      }), /boom/);
      assert.equal((await b.query('SELECT key FROM settings WHERE key = ?', ['k'])).length, 0);
      await a.transaction((tx) => tx.exec('INSERT INTO settings (key, value) VALUES (?, ?)', ['k', 'v']));
      assert.equal((await b.query('SELECT key FROM settings WHERE key = ?', ['k'])).length, 1);
    } finally {
      await cleanup();
    }
  });
}
