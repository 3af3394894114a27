import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Database } from './db.ts';
import { timedDatabase } from './timed-database.ts';

test('statements and transactions are timed, failed ones too, and counted while they run', async () => {
  let release: () => void = () => undefined;
  const slow = new Promise<void>((r) => {
    release = r;
  });
  const inner: Database = {
    dialect: { name: 'sqlite', nowMs: '0', skipLocked: '', forUpdate: '' },
    query: async <T>() => {
      await slow;
      return [{ x: 1 }] as T[];
    },
    exec: async () => Promise.reject(new Error('refused')),
    transaction: async (fn) => fn({ query: async () => [], exec: async () => 0, execScript: async () => undefined }),
    writable: async () => true,
    close: async () => undefined,
  };
  const seen: string[] = [];
  const db = timedDatabase(inner, { statementFinished: (op, seconds) => seen.push(`${op}:${seconds >= 0}`) });
  const pending = db.query('SELECT 1');
  assert.equal(db.inFlight, 1);
  release();
  assert.deepEqual(await pending, [{ x: 1 }]);
  await assert.rejects(db.exec('UPDATE t SET x = 1'), /refused/);
  assert.equal(await db.transaction(async () => 'done'), 'done');
  assert.equal(db.inFlight, 0);
  assert.deepEqual(seen, ['query:true', 'exec:true', 'transaction:true']);
  assert.equal(db.dialect.name, 'sqlite');
});
