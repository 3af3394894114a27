import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDatabase, type GroupLimits } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'certainty-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A database on a temp file with an `items` table, and a second connection that sees only committed rows. */
async function open(limits?: GroupLimits): Promise<{ db: SqliteDatabase; committed: () => string[]; close: () => Promise<void> }> {
  const path = join(dir, `db${(files += 1)}.sqlite`);
  const db = new SqliteDatabase(path, { synchronous: 'full' }, limits);
  await db.transaction(async (tx) => {
    await tx.execScript(`CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE items (id TEXT PRIMARY KEY, parent TEXT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`);
  });
  const observer = new BetterSqlite3(path, { readonly: true });
  const select = observer.prepare('SELECT id FROM items ORDER BY id').pluck();
  return {
    db,
    committed: () => select.all() as string[],
    close: async () => {
      observer.close();
      await db.close();
    },
  };
}

const insert = (id: string, parent: string | null = null) => async (tx: { exec: SqliteDatabase['exec'] }) =>
  tx.exec('INSERT INTO items (id, parent) VALUES (?, ?)', [id, parent]);

test('transactions queued together share one commit, and none settles before it', async () => {
  const { db, committed, close } = await open();
  const seen: string[][] = [];
  const settled: string[][] = [];
  const results = await Promise.all(['a', 'b', 'c'].map((id) => db.transaction(async (tx) => {
    await insert(id)(tx);
    seen.push(committed());
    return id;
  }).then((r) => {
    settled.push(committed());
    return r;
  })));
  assert.deepEqual(results, ['a', 'b', 'c']);
  // Inside the group nothing is committed yet: each member ran before the one COMMIT.
  assert.deepEqual(seen, [[], [], []]);
  // Every caller learns its result only once all three rows are durable.
  assert.deepEqual(settled, [['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
  await close();
});

test('a later member sees the rows of earlier members of its group', async () => {
  const { db, close } = await open();
  const [, count] = await Promise.all([
    db.transaction(insert('a')),
    db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM items'))[0]?.n),
  ]);
  assert.equal(count, 1);
  await close();
});

test('a throwing member is rolled back alone; the others commit', async () => {
  const { db, committed, close } = await open();
  const results = await Promise.allSettled([
    db.transaction(insert('a')),
    db.transaction(async (tx) => {
      await insert('b')(tx);
      throw new Error('member b fails');
    }),
    db.transaction(insert('c')),
    // A failing statement outside a transaction is a member of its own too.
    db.exec('INSERT INTO items (id) VALUES (?)', ['a']),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /member b fails/);
  assert.equal((results[3] as PromiseRejectedResult).reason.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.deepEqual(committed(), ['a', 'c']);
  await close();
});

test('a failed COMMIT rejects every member and keeps none of their rows', async () => {
  const { db, committed, close } = await open();
  // The deferred foreign key is checked at COMMIT only, so the group's COMMIT fails.
  const results = await Promise.allSettled([db.transaction(insert('a')), db.transaction(insert('orphan', 'missing')), db.transaction(insert('c'))]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  for (const r of results) assert.equal((r as PromiseRejectedResult).reason.code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
  assert.deepEqual(committed(), []);
  // The connection is usable afterwards.
  await db.transaction(insert('d'));
  assert.deepEqual(committed(), ['d']);
  await close();
});

test('writes outside a transaction join the group; reads outside one see only committed rows, without waiting', async () => {
  // A time bound longer than the test's waits, so that the write joins the open group.
  const { db, committed, close } = await open({ maxMembers: 64, maxMs: 10_000 });
  await db.transaction(insert('before'));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const order: string[] = [];
  const first = db.transaction(async (tx) => {
    await insert('a')(tx);
    await gate;
  }).then(() => order.push('commit'));
  const write = db.exec('INSERT INTO items (id) VALUES (?)', ['b']).then(() => order.push('write'));
  await new Promise((r) => setTimeout(r, 20));
  const ids = async (): Promise<string[]> => (await db.query<{ id: string }>('SELECT id FROM items ORDER BY id')).map((r) => r.id);
  assert.deepEqual(await ids(), ['before'], 'a read during the open group sees only committed rows');
  assert.deepEqual(order, [], 'nothing settles while the group is open');
  release();
  await Promise.all([first, write]);
  assert.deepEqual(order.sort(), ['commit', 'write']);
  assert.deepEqual(await ids(), ['a', 'b', 'before']);
  assert.deepEqual(committed(), ['a', 'b', 'before']);
  await close();
});

test('in memory, reads outside a transaction wait for the open group to commit', async () => {
  const db = new SqliteDatabase(':memory:', { synchronous: 'full' }, { maxMembers: 64, maxMs: 10_000 });
  await db.exec('CREATE TABLE items (id TEXT PRIMARY KEY)');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const group = db.transaction(async (tx) => {
    await tx.exec('INSERT INTO items (id) VALUES (?)', ['a']);
    await gate;
  });
  await new Promise((r) => setTimeout(r, 20));
  let read: unknown[] | undefined;
  const reading = db.query('SELECT id FROM items').then((rows) => (read = rows));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(read, undefined, 'the read waits: it would otherwise see the uncommitted row');
  release();
  await group;
  assert.deepEqual(await reading, [{ id: 'a' }]);
  await db.close();
});

test('a group is bounded: past its member limit the rest commit in the next group', async () => {
  const path = join(dir, 'bounded.sqlite');
  const db = new SqliteDatabase(path, { synchronous: 'full' }, { maxMembers: 2, maxMs: 1_000 });
  await db.exec('CREATE TABLE items (id TEXT PRIMARY KEY)');
  const observer = new BetterSqlite3(path, { readonly: true });
  const count = observer.prepare('SELECT COUNT(*) FROM items').pluck();
  const seen: number[] = [];
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => db.transaction(async (tx) => {
    seen.push(count.get() as number);
    await tx.exec('INSERT INTO items (id) VALUES (?)', [id]);
  })));
  assert.deepEqual(seen, [0, 0, 2, 2, 4]);
  observer.close();
  await db.close();
});

test('a transaction handle used after its callback returned throws', async () => {
  const { db, close } = await open();
  let leaked: { exec: SqliteDatabase['exec'] } | undefined;
  await db.transaction(async (tx) => {
    leaked = tx;
  });
  await assert.rejects(insert('late')(leaked as { exec: SqliteDatabase['exec'] }), /used after its callback returned/);
  await close();
});
