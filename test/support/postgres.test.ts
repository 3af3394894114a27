import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import postgres from 'postgres';
import { startPostgres } from './postgres.ts';

test('startPostgres serves fresh databases on 127.0.0.1 and stop removes everything', async () => {
  const cluster = await startPostgres();
  let stopped = false;
  try {
    assert.match(cluster.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const first = await cluster.createDatabase();
    const second = await cluster.createDatabase('named_db');
    assert.notEqual(first, second);
    assert.ok(second.endsWith('/named_db'));
    const sql = postgres(first, { max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql<Array<{ db: string; tables: number }>>`
        select current_database() as db,
               (select count(*)::int from pg_tables where schemaname = 'public') as tables`;
      assert.equal(row?.db, new URL(first).pathname.slice(1));
      assert.equal(row?.tables, 0);
    } finally {
      await sql.end({ timeout: 5 });
    }
    await cluster.stop();
    stopped = true;
    assert.equal(existsSync(cluster.dataDir), false);
  } finally {
    if (!stopped) await cluster.stop();
  }
});
