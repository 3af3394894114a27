import * as assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Keyring, kekIdOf } from './envelope.ts';
import { kekFromPassphrase, LocalKek, loadKekFile } from './kek.ts';
import { openKek } from './open.ts';
import type { KekSettingsStore } from './store.ts';

/** A database's KEK settings, in memory: first writer wins, as in the `settings` table. */
function memorySettings(): KekSettingsStore {
  const values = new Map<string, string>();
  const orCreate = (key: string) => async (create: () => string): Promise<string> => {
    if (!values.has(key)) values.set(key, create());
    return values.get(key) as string;
  };
  return {
    salt: async () => values.get('salt'), saltOrCreate: orCreate('salt'),
    check: async () => values.get('check'), checkOrCreate: orCreate('check'), nonceKeyOrCreate: orCreate('nonce-key'),
  };
}

test('envelope: each secret has its own data key, bound to its record', () => {
  const kek = new LocalKek(randomBytes(32), 'test');
  const ring = new Keyring(kek);
  const secret = Buffer.from('private key bytes');
  const a = ring.wrap(secret, 'issuer:a');
  const b = ring.wrap(secret, 'issuer:a');
  assert.ok(!a.includes(secret), 'the plaintext does not appear in the blob');
  assert.notDeepEqual(a, b, 'a fresh data key each time');
  assert.equal(kekIdOf(a), kek.id);
  assert.deepEqual(ring.unwrap(a, 'issuer:a'), secret);
  assert.throws(() => ring.unwrap(a, 'issuer:b'), /issuer:b/, 'a blob moved to another row does not open');
  assert.throws(() => new Keyring(new LocalKek(randomBytes(32), 'other')).unwrap(a, 'issuer:a'), /wrapped by KEK/);
  assert.throws(() => ring.unwrap(Buffer.from([1, 0, 0]), 'x'), /unknown format/);
});

test('rewrap moves a data key to a new KEK without touching the payload', () => {
  const oldKek = new LocalKek(randomBytes(32), 'old');
  const newKek = new LocalKek(randomBytes(32), 'new');
  const blob = new Keyring(oldKek).wrap(Buffer.from('s'), 'eab:k');
  const moved = new Keyring(oldKek).rewrap(blob, 'eab:k', newKek);
  assert.equal(kekIdOf(moved), newKek.id);
  assert.deepEqual(new Keyring(newKek).unwrap(moved, 'eab:k'), Buffer.from('s'));
  assert.deepEqual(new Keyring(newKek, oldKek).unwrap(blob, 'eab:k'), Buffer.from('s'), 'during rotation both open');
  assert.deepEqual(blob.subarray(blob.length - 20), moved.subarray(moved.length - 20), 'payload unchanged');
});

test('the KEK file is created with mode 0600 and rejected when malformed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kek-'));
  const path = join(dir, 'kek.key');
  assert.throws(() => loadKekFile(path, false), /does not exist/);
  const a = loadKekFile(path, true);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(loadKekFile(path, false).id, a.id);
  writeFileSync(join(dir, 'short.key'), 'AAAA');
  assert.throws(() => loadKekFile(join(dir, 'short.key'), false), /32 bytes/);
});

test('a database refuses a KEK other than the one its secrets are wrapped with', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kek-'));
  const db = memorySettings();
  await openKek(db, { file: join(dir, 'one.key') }, dir, true);
  await assert.rejects(openKek(db, { file: join(dir, 'two.key') }, dir, true), /not the key this database/);
  await openKek(db, { file: join(dir, 'two.key'), previousFile: join(dir, 'one.key') }, dir, false);
  const db2 = memorySettings();
  await openKek(db2, { passphrase: 'correct horse battery' }, dir, true);
  await openKek(db2, { passphrase: 'correct horse battery' }, dir, false);
  await assert.rejects(openKek(db2, { passphrase: 'wrong horse battery' }, dir, false), /passphrase/);
  assert.notEqual(kekFromPassphrase('x'.repeat(12), Buffer.alloc(16)).id, kekFromPassphrase('y'.repeat(12), Buffer.alloc(16)).id);
});
