import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { libpqEnv, pgDatabaseName, withDatabase } from './pg-tools.ts';

test('a URL becomes libpq variables, the password only in PGPASSWORD', () => {
  const env = libpqEnv('postgres://app:p%40ss%3Aw@db1.internal:5433,db2.internal/certainty?sslmode=verify-full&target_session_attrs=read-write&unknown=1');
  assert.equal(env.PGHOST, 'db1.internal,db2.internal');
  assert.equal(env.PGPORT, '5433,5432');
  assert.equal(env.PGUSER, 'app');
  assert.equal(env.PGPASSWORD, 'p@ss:w');
  assert.equal(env.PGDATABASE, 'certainty');
  assert.equal(env.PGSSLMODE, 'verify-full');
  assert.equal(env.PGTARGETSESSIONATTRS, 'read-write');
  assert.equal(Object.values(env).filter((v) => v.includes('unknown')).length, 0);
  assert.equal(libpqEnv('postgresql://[::1]:6000/x').PGHOST, '::1');
  assert.equal(libpqEnv('postgres://u@h/d').PGPASSWORD, undefined);
});

test('withDatabase swaps only the database name', () => {
  assert.equal(withDatabase('postgres://u:p@h1:1,h2:2/prod?sslmode=require', 'scratch_1'), 'postgres://u:p@h1:1,h2:2/scratch_1?sslmode=require');
  assert.equal(withDatabase('postgres://h', 'x'), 'postgres://h/x');
  assert.equal(pgDatabaseName('postgres://alice@h'), 'alice');
});
