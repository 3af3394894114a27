// Migrations on every dialect: two nodes migrating one empty database at once both succeed and
// the schema is applied exactly once.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentSchema, LATEST_SCHEMA, migrate } from '../../src/store/migrations.ts';
import type { Migration } from '../../src/store/schema.ts';
import { openTwo } from '../support/databases.ts';
import { dialects } from '../support/node.ts';

// A script that splitting on `;` (or rewriting BLOB or `?` everywhere) would break.
const LITERALS: Migration = {
  id: 1,
  name: 'literals',
  sql: `
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL DEFAULT 'a; b', data BLOB);
-- a comment; with a semicolon, a ? and the word BLOB
INSERT INTO notes (id) VALUES (1);
INSERT INTO notes (id, body) VALUES (2, 'it''s; BLOB? /* not a comment */');
`,
};

for (const dialect of dialects()) {
  test(`a migration with ; inside string literals runs as one script (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, cleanup } = await openTwo(dialect);
    try {
      const report = await migrate(a, Date.now, [LITERALS]);
      assert.deepEqual(report.applied, [{ id: 1, name: 'literals' }]);
      const rows = await a.query<{ body: string }>('SELECT body FROM notes ORDER BY id');
      assert.deepEqual(rows.map((r) => r.body), ['a; b', "it's; BLOB? /* not a comment */"]);
      await a.exec('UPDATE notes SET data = ? WHERE id = 1', [Buffer.from([1, 2])]);
      // A ? in a literal is text, not a placeholder, in statements too.
      const found = await a.query<{ id: number }>("SELECT id FROM notes WHERE body LIKE 'it''s; BLOB?%' AND id = ?", [2]);
      assert.deepEqual(found.map((r) => Number(r.id)), [2]);
    } finally {
      await cleanup();
    }
  });

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
