import * as assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SqliteDatabase } from '../store/sqlite.ts';
import { migrate } from '../store/migrations.ts';
import { AesGcmKek, kekFromPassphrase, loadKekFile } from './kek.ts';
import { openKek } from './open.ts';

test('wrap and unwrap round-trip; the purpose is bound', () => {
  const kek = new AesGcmKek(randomBytes(32));
  const secret = Buffer.from('private key bytes');
  const wrapped = kek.wrap(secret, 'issuer:a');
  assert.ok(!wrapped.includes(secret), 'the plaintext does not appear in the wrapped blob');
  assert.deepEqual(kek.unwrap(wrapped, 'issuer:a'), secret);
  assert.throws(() => kek.unwrap(wrapped, 'issuer:b'), /not the one it was wrapped with/);
  assert.throws(() => new AesGcmKek(randomBytes(32)).unwrap(wrapped, 'issuer:a'), /not the one/);
  assert.throws(() => kek.unwrap(Buffer.from([2, 0, 0]), 'x'), /unknown format/);
});

test('the KEK file is created with mode 0600 and rejected when malformed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kek-'));
  const path = join(dir, 'kek.key');
  assert.throws(() => loadKekFile(path, false), /does not exist/);
  const a = loadKekFile(path, true);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const b = loadKekFile(path, false);
  assert.deepEqual(b.unwrap(a.wrap(Buffer.from('x'), 'p'), 'p'), Buffer.from('x'));
  writeFileSync(join(dir, 'short.key'), 'AAAA');
  assert.throws(() => loadKekFile(join(dir, 'short.key'), false), /32 bytes/);
});

test('a database refuses a KEK other than the one it was created with', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kek-'));
  const db = new SqliteDatabase(join(dir, 'db.sqlite'));
  await migrate(db);
  await openKek(db, { file: join(dir, 'one.key') }, dir, true);
  await assert.rejects(openKek(db, { file: join(dir, 'two.key') }, dir, true), /not the key this database was created with/);
  await db.close();
  const db2 = new SqliteDatabase(join(dir, 'db2.sqlite'));
  await migrate(db2);
  await openKek(db2, { passphrase: 'correct horse battery' }, dir, true);
  await openKek(db2, { passphrase: 'correct horse battery' }, dir, false);
  await assert.rejects(openKek(db2, { passphrase: 'wrong horse battery' }, dir, false), /passphrase/);
  await db2.close();
  assert.ok(kekFromPassphrase('x'.repeat(12), Buffer.alloc(16)));
});
