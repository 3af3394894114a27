// Retries after a broken PostgreSQL connection run nothing twice: a proxy on loopback cuts the
// connection at chosen points of the wire protocol (test/support/pg-proxy.ts). PostgreSQL only:
// SQLite has no connection to lose.
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isConnectionError } from '../../src/store/db.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { startPgProxy, type PgProxy } from '../support/pg-proxy.ts';
import { withTimeout } from '../support/wait.ts';

const OPTIONS = { poolSize: 2, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 };
const COMMIT = /^\s*commit\s*$/i;

describe('PostgreSQL retries after a lost connection', { skip: !dialects().includes('postgres') }, () => {
  let direct: PostgresDatabase;
  let proxy: PgProxy;
  let db: PostgresDatabase;

  before(async () => {
    const url = (await freshDatabaseUrl('postgres')) as string;
    direct = new PostgresDatabase(url, OPTIONS);
    await direct.exec('CREATE TABLE items (id TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    proxy = await startPgProxy(url);
    db = new PostgresDatabase(proxy.url, OPTIONS);
  });

  after(async () => {
    await db.close();
    await proxy.close();
    await direct.close();
  });

  const count = async (id: string): Promise<number> =>
    Number((await direct.query<{ n: number }>('SELECT COUNT(*) AS n FROM items WHERE id = ?', [id]))[0]?.n);

  test('a transaction that committed but lost its answer is not run again and returns its result', { timeout: 30_000 }, async () => {
    await direct.exec('INSERT INTO items (id, version) VALUES (?, 1)', ['cas']);
    const cut = proxy.cutOnce(COMMIT, 'after-reply');
    let runs = 0;
    const result = await db.transaction(async (tx) => {
      runs += 1;
      await tx.exec('INSERT INTO items (id, version) VALUES (?, 1)', ['committed-once']);
      // A compare-and-swap like a revocation's: a second run would find nothing to change.
      const changed = await tx.exec('UPDATE items SET version = version + 1 WHERE id = ? AND version = ?', ['cas', 1]);
      return { changed };
    });
    await withTimeout(cut, 5_000, 'the cut after COMMIT');
    assert.deepEqual(result, { changed: 1 });
    assert.equal(runs, 1, 'the callback ran once');
    assert.equal(await count('committed-once'), 1);
    assert.equal(db.poolResets, 1);
  });

  test('a read-only transaction that lost its COMMIT answer returns what it read', { timeout: 30_000 }, async () => {
    await direct.exec('INSERT INTO items (id, version) VALUES (?, 7)', ['read']);
    const cut = proxy.cutOnce(COMMIT, 'after-reply');
    let runs = 0;
    const version = await db.transaction(async (tx) => {
      runs += 1;
      return (await tx.query<{ version: number }>('SELECT version FROM items WHERE id = ?', ['read']))[0]?.version;
    });
    await withTimeout(cut, 5_000, 'the cut after COMMIT');
    assert.equal(version, 7);
    assert.equal(runs, 1);
  });

  test('a transaction cut before COMMIT is sent runs again and commits once', { timeout: 30_000 }, async () => {
    const cut = proxy.cutOnce(/cut_here/, 'before-request');
    let runs = 0;
    const result = await db.transaction(async (tx) => {
      runs += 1;
      await tx.exec('INSERT INTO items (id, version) VALUES (?, 1)', ['mid-callback']);
      await tx.query('SELECT 1 AS cut_here');
      return runs;
    });
    await withTimeout(cut, 5_000, 'the cut in the callback');
    assert.equal(result, 2, 'the second run returned');
    assert.equal(await count('mid-callback'), 1);
  });

  test('a COMMIT that never reached the server is learnt to have aborted and the transaction runs again', { timeout: 30_000 }, async () => {
    const cut = proxy.cutOnce(COMMIT, 'before-request');
    let runs = 0;
    const result = await db.transaction(async (tx) => {
      runs += 1;
      await tx.exec('INSERT INTO items (id, version) VALUES (?, 1)', ['commit-lost']);
      return runs;
    });
    await withTimeout(cut, 5_000, 'the cut before COMMIT');
    assert.equal(result, 2);
    assert.equal(await count('commit-lost'), 1);
  });

  test('a transaction whose id was never learnt is not committed but runs again', { timeout: 30_000 }, async () => {
    // The statement's answer arrives, the id probe pipelined behind it is lost with the connection.
    const cut = proxy.cutOnce(/pg_current_xact_id_if_assigned/, 'after-reply');
    let runs = 0;
    const result = await db.transaction(async (tx) => {
      runs += 1;
      await tx.exec('INSERT INTO items (id, version) VALUES (?, 1)', ['probe-lost']);
      return runs;
    });
    await withTimeout(cut, 5_000, 'the cut after the probe');
    assert.equal(result, 2);
    assert.equal(await count('probe-lost'), 1);
  });

  test('a single write whose answer was lost is not sent again', { timeout: 30_000 }, async () => {
    const cut = proxy.cutOnce(/INSERT INTO items/, 'after-reply');
    await assert.rejects(db.exec('INSERT INTO items (id, version) VALUES (?, 1)', ['single-write']), (err) => isConnectionError(err));
    await withTimeout(cut, 5_000, 'the cut after the INSERT');
    assert.equal(await count('single-write'), 1, 'it ran once; a second run would have failed on the primary key');
  });

  test('a single read whose answer was lost is asked again', { timeout: 30_000 }, async () => {
    await direct.exec('INSERT INTO items (id, version) VALUES (?, 3)', ['single-read']);
    const cut = proxy.cutOnce(/SELECT version FROM items/, 'after-reply');
    const rows = await db.query<{ version: number }>('SELECT version FROM items WHERE id = ?', ['single-read']);
    await withTimeout(cut, 5_000, 'the cut after the SELECT');
    assert.deepEqual(rows, [{ version: 3 }]);
  });
});
