// The secrets store's use cases on every dialect, in process, with an injected clock: versions,
// check-and-set (50 concurrent writers, exactly one wins), soft delete / undelete / destroy,
// max_versions, delete_version_after, policies, reveal reasons, honeytokens, rotation, and bad
// input that stores nothing.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../../src/audit/log.ts';
import { isAppError } from '../../src/errors.ts';
import { Keyring } from '../../src/kek/envelope.ts';
import { LocalKek } from '../../src/kek/kek.ts';
import { secretDeps } from '../../src/context.ts';
import { deleteVersions, removeSecret, undeleteVersions } from '../../src/secrets/delete.ts';
import type { SecretDeps, SecretNotifier } from '../../src/secrets/deps.ts';
import { destroyVersions } from '../../src/secrets/destroy.ts';
import { runSecretsDuty } from '../../src/secrets/duty.ts';
import { generateSecret } from '../../src/secrets/generate.ts';
import { listSecrets } from '../../src/secrets/list.ts';
import { readMetadata, updateMetadata } from '../../src/secrets/metadata.ts';
import { patchSecret } from '../../src/secrets/patch.ts';
import { attachPolicy, putPolicy } from '../../src/secrets/policies.ts';
import { readSecret } from '../../src/secrets/read.ts';
import type { SecretCaller } from '../../src/secrets/types.ts';
import { writeSecret } from '../../src/secrets/write.ts';
import { SqlAuditChainStore, SqlAuditReadStore } from '../../src/store/audit-store.ts';
import type { Database } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrations.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { SqliteDatabase } from '../../src/store/sqlite.ts';
import { createLogger } from '../../src/logger.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const admin: SecretCaller = { actor: 'cli:test', tokenId: undefined, admin: true };
const HOUR = 3_600_000;

/** Resolves to the AppError code a promise rejects with (and its detail), or fails. */
async function refused(p: Promise<unknown>): Promise<{ code: string; detail: string }> {
  try {
    await p;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, detail: err.detail };
    throw err;
  }
  throw new Error('expected a refusal');
}

for (const dialect of dialects()) {
  describe(`secrets store use cases (${dialect})`, { timeout: 120_000 }, () => {
    let db: Database;
    let dir: string;
    let deps: SecretDeps;
    let clock = Date.UTC(2026, 0, 1);
    const notified: Array<Parameters<SecretNotifier['notify']>[0]> = [];

    before(async () => {
      dir = await makeTempDir('secrets-kv');
      const url = await freshDatabaseUrl(dialect);
      db = url === undefined ? new SqliteDatabase(join(dir, 'certainty.db')) : new PostgresDatabase(url, { poolSize: 8, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
      await migrate(db);
      const kek = new Keyring(new LocalKek(randomBytes(32), 'a test KEK'));
      const recorder = new AuditLog({ chain: new SqlAuditChainStore(db), nodeId: 'node-test' });
      deps = secretDeps({ db, kek, recorder, now: () => clock, notifier: { notify: async (e) => void notified.push(e) } });
    });
    after(async () => {
      await db?.close();
      if (dir !== undefined) await removeDir(dir);
    });

    test('versions and check-and-set: 50 concurrent writers with the same cas, exactly one wins', async () => {
      assert.deepEqual(await writeSecret(deps, admin, 'app/db', { password: 'one' }), { path: 'app/db', version: 1, createdAt: clock });
      await writeSecret(deps, admin, 'app/db', { password: 'two', user: 'app' });
      assert.deepEqual((await readSecret(deps, admin, 'app/db')).data, { password: 'two', user: 'app' });
      assert.deepEqual((await readSecret(deps, admin, 'app/db', { version: 1 })).data, { password: 'one' });
      assert.equal((await refused(writeSecret(deps, admin, 'app/db', { password: 'x' }, { cas: 0 }))).code, 'conflict');
      const writers = Array.from({ length: 50 }, (_, i) => writeSecret(deps, admin, 'app/db', { password: `w${i}` }, { cas: 2 }));
      const results = await Promise.allSettled(writers);
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, JSON.stringify(results.filter((r) => r.status === 'rejected').slice(0, 2).map((r) => String(r.reason))));
      for (const r of results) if (r.status === 'rejected') assert.ok(isAppError(r.reason) && r.reason.code === 'conflict', String(r.reason));
      assert.equal((await readMetadata(deps, admin, 'app/db')).currentVersion, 3);
      // A new path: 50 creators with cas 0, one wins; 20 writers without cas all land, each a version.
      const creators = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => writeSecret(deps, admin, 'app/new', { v: `${i}` }, { cas: 0 })));
      assert.equal(creators.filter((r) => r.status === 'fulfilled').length, 1);
      const free = await Promise.all(Array.from({ length: 20 }, (_, i) => writeSecret(deps, admin, 'app/free', { v: `${i}` })));
      assert.deepEqual(free.map((v) => v.version).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test('cas_required, patch, custom metadata and listing without values', async () => {
      await updateMetadata(deps, admin, 'app/strict', { casRequired: true, customMetadata: { owner: 'dba' } });
      assert.match((await refused(writeSecret(deps, admin, 'app/strict', { a: 'b' }))).detail, /requires check-and-set/);
      await writeSecret(deps, admin, 'app/strict', { a: 'b', c: 'd' }, { cas: 0 });
      await patchSecret(deps, admin, 'app/strict', { a: 'B', c: null, e: 'f' }, { cas: 1 });
      assert.deepEqual((await readSecret(deps, admin, 'app/strict')).data, { a: 'B', e: 'f' });
      assert.deepEqual((await readMetadata(deps, admin, 'app/strict')).customMetadata, { owner: 'dba' });
      const listed = await listSecrets(deps, admin, 'app/');
      assert.deepEqual(listed.map((l) => l.path), ['app/db', 'app/free', 'app/new', 'app/strict']);
      assert.doesNotMatch(JSON.stringify(listed), /"B"|password/);
    });

    test('soft delete, undelete, destroy, remove, and max_versions', async () => {
      for (const v of ['1', '2', '3']) await writeSecret(deps, admin, 'life/x', { v });
      assert.equal(await deleteVersions(deps, admin, 'life/x'), 1);
      assert.match((await refused(readSecret(deps, admin, 'life/x'))).detail, /version 3 of life\/x is deleted/i);
      assert.equal(await undeleteVersions(deps, admin, 'life/x', [3]), 1);
      assert.equal((await readSecret(deps, admin, 'life/x')).data.v, '3');
      assert.equal(await destroyVersions(deps, admin, 'life/x', [1, 2]), 2);
      assert.match((await refused(readSecret(deps, admin, 'life/x', { version: 1 }))).detail, /destroyed/);
      assert.equal(await undeleteVersions(deps, admin, 'life/x', [1]), 0, 'a destroyed version stays destroyed');
      const blobs = await db.query<{ value_wrapped: unknown }>('SELECT value_wrapped FROM secret_versions WHERE path = ? AND version <= 2', ['life/x']);
      assert.deepEqual(blobs.map((b) => b.value_wrapped), [null, null]);
      await updateMetadata(deps, admin, 'life/x', { maxVersions: 2 });
      for (const v of ['4', '5']) await writeSecret(deps, admin, 'life/x', { v });
      assert.deepEqual((await readMetadata(deps, admin, 'life/x')).versions.map((v) => v.version), [4, 5]);
      assert.match((await refused(readSecret(deps, admin, 'life/x', { version: 3 }))).detail, /no version 3/);
      await removeSecret(deps, admin, 'life/x');
      assert.equal((await refused(readMetadata(deps, admin, 'life/x'))).code, 'notFound');
      assert.deepEqual(await db.query('SELECT id FROM secret_versions WHERE path = ?', ['life/x']), []);
    });

    test('a destroyed version leaves no copy of its sealed value in the SQLite file', { skip: dialect !== 'sqlite' }, async () => {
      await writeSecret(deps, admin, 'scrub/x', { v: 'to be destroyed' });
      const [row] = await db.query<{ value_wrapped: Uint8Array }>('SELECT value_wrapped FROM secret_versions WHERE path = ? AND version = 1', ['scrub/x']);
      const sealed = Buffer.from(row?.value_wrapped ?? []);
      assert.ok(sealed.length > 32);
      assert.equal(await destroyVersions(deps, admin, 'scrub/x', [1]), 1);
      // Move every page from the write-ahead log into the file, as any checkpoint will.
      const raw = new BetterSqlite3(join(dir, 'certainty.db'));
      try {
        raw.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        raw.close();
      }
      const file = readFileSync(join(dir, 'certainty.db'));
      assert.equal(file.indexOf(sealed.subarray(0, 32)), -1, 'the sealed value is still in the database file');
    });

    test('delete_version_after: with the clock moved on, a read refuses and deletes the version; the duty deletes the rest', async () => {
      await updateMetadata(deps, admin, 'ttl/a', { deleteVersionAfterMs: HOUR });
      await writeSecret(deps, admin, 'ttl/a', { v: '1' });
      await updateMetadata(deps, admin, 'ttl/b', { deleteVersionAfterMs: HOUR });
      await writeSecret(deps, admin, 'ttl/b', { v: '1' });
      clock += HOUR - 1;
      assert.equal((await readSecret(deps, admin, 'ttl/a')).data.v, '1');
      clock += 1;
      assert.match((await refused(readSecret(deps, admin, 'ttl/a'))).detail, /past its delete_version_after/);
      assert.notEqual((await db.query<{ deleted_at: unknown }>('SELECT deleted_at FROM secret_versions WHERE path = ?', ['ttl/a']))[0]?.deleted_at, null);
      await runSecretsDuty(deps, 'node:test', createLogger('silent'));
      assert.notEqual((await readMetadata(deps, admin, 'ttl/b')).versions[0]?.deletedAt, null);
      assert.notEqual((await db.query<{ deleted_at: unknown }>('SELECT deleted_at FROM secret_versions WHERE path = ?', ['ttl/b']))[0]?.deleted_at, null);
    });

    test('policies: a machine token reads only where granted, refusals are audited, listing shows only what it may list', async () => {
      const pdeps = { policies: deps.policies, now: deps.now, actor: 'cli:test' };
      await putPolicy(pdeps, 'deploy', [{ path: 'app/*', capabilities: ['read', 'list'] }, { path: 'app/strict', capabilities: ['deny'] }]);
      await attachPolicy(pdeps, 'deploy', 'aaaaaaaaaaaa');
      const machine: SecretCaller = { actor: 'token:aaaaaaaaaaaa', tokenId: 'aaaaaaaaaaaa', admin: false };
      assert.equal((await readSecret(deps, machine, 'app/db')).version, 3);
      assert.equal((await refused(readSecret(deps, machine, 'app/strict'))).code, 'unauthorized');
      assert.equal((await refused(writeSecret(deps, machine, 'app/db', { a: 'b' }))).code, 'unauthorized');
      assert.equal((await refused(readSecret(deps, machine, 'other/x'))).code, 'unauthorized');
      assert.equal((await refused(readMetadata(deps, machine, 'app/db'))).code, 'unauthorized');
      assert.deepEqual((await listSecrets(deps, machine, '')).map((l) => l.path), ['app/db', 'app/free', 'app/new']);
      const stranger: SecretCaller = { actor: 'token:bbbbbbbbbbbb', tokenId: 'bbbbbbbbbbbb', admin: false };
      assert.deepEqual(await listSecrets(deps, stranger, ''), []);
      const records = await new SqlAuditReadStore(db).list({ action: 'secret.revealed', object: 'secret:app/strict', limit: 10 });
      assert.ok(records.some((r) => r.actor === 'token:aaaaaaaaaaaa' && r.outcome === 'failure'));
    });

    test('a reveal may require a reason, which the audit records; "who revealed X" is one query', async () => {
      await writeSecret(deps, admin, 'prod/root', { password: 'r00t' });
      await updateMetadata(deps, admin, 'prod/root', { revealReasonRequired: true });
      assert.match((await refused(readSecret(deps, admin, 'prod/root'))).detail, /requires a reason/);
      await readSecret(deps, { ...admin, actor: 'cli:alice' }, 'prod/root', { reason: 'incident 42' });
      const who = await new SqlAuditReadStore(db).list({ action: 'secret.revealed', object: 'secret:prod/root', limit: 10 });
      assert.deepEqual(who.map((r) => [r.actor, r.outcome, JSON.parse(r.details)]), [['cli:alice', 'success', { reason: 'incident 42', version: 1 }]]);
      assert.doesNotMatch(JSON.stringify(await new SqlAuditReadStore(db).list({ limit: 10000 })), /r00t/);
    });

    test('honeytokens reveal like any secret and raise an alert', async () => {
      await writeSecret(deps, admin, 'decoy/aws', { key: 'AKIA-decoy' });
      await updateMetadata(deps, admin, 'decoy/aws', { honeytoken: true });
      assert.equal((await readSecret(deps, { ...admin, actor: 'cli:mallory' }, 'decoy/aws')).data.key, 'AKIA-decoy');
      assert.deepEqual(notified.filter((n) => n.event === 'honeytoken-revealed').map((n) => [n.path, n.actor]), [['decoy/aws', 'cli:mallory']]);
      const alerts = await new SqlAuditReadStore(db).list({ action: 'secret.honeytoken-revealed', limit: 10 });
      assert.deepEqual(alerts.map((r) => [r.actor, r.object]), [['cli:mallory', 'secret:decoy/aws']]);
    });

    test('generation with a charset, and scheduled rotation by the duty with a notification', async () => {
      await writeSecret(deps, admin, 'gen/db', { user: 'repmgr', password: 'old' });
      await generateSecret(deps, admin, 'gen/db', { field: 'password', length: 40, charset: 'shell-safe' }, { rotateEveryMs: 24 * HOUR });
      const v2 = await readSecret(deps, admin, 'gen/db');
      assert.equal(v2.data.user, 'repmgr');
      assert.match(v2.data.password ?? '', /^[A-Za-z0-9\-_.,:+@%]{40}$/);
      notified.length = 0;
      await runSecretsDuty(deps, 'node:test', createLogger('silent'));
      assert.equal((await readMetadata(deps, admin, 'gen/db')).currentVersion, 2, 'not due yet');
      clock += 24 * HOUR;
      await runSecretsDuty(deps, 'node:test', createLogger('silent'));
      const v3 = await readSecret(deps, admin, 'gen/db');
      assert.equal(v3.version, 3);
      assert.notEqual(v3.data.password, v2.data.password);
      assert.deepEqual(notified.map((n) => [n.event, n.path, n.version]), [['rotated', 'gen/db', 3]]);
      assert.equal((await readMetadata(deps, admin, 'gen/db')).nextRotationAt, clock + 24 * HOUR);
    });

    test('bad input: each a clear error, nothing stored', async () => {
      const count = async (): Promise<number> => Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM secret_versions'))[0]?.n);
      const before = await count();
      const cases: Array<[Promise<unknown>, RegExp]> = [
        [writeSecret(deps, admin, 'a/../b', { v: 'x' }), /"\.\." segment/],
        [writeSecret(deps, admin, 'a//b', { v: 'x' }), /empty segment/],
        [writeSecret(deps, admin, 'a/\u0007b', { v: 'x' }), /control characters/],
        [writeSecret(deps, admin, 'big/one', { v: 'x'.repeat(70_000) }), /at most 65536 bytes/],
        [writeSecret(deps, admin, 'bad/type', { v: 1 }), /must be a string/],
        [putPolicy({ policies: deps.policies, now: deps.now, actor: 'cli:test' }, 'p', [{ path: 'a/**', capabilities: ['read', 'sudo'] }]), /unknown capability "sudo"/],
        [updateMetadata(deps, admin, 'bad/meta', { maxVersions: 0 }), /maxVersions/],
        [updateMetadata(deps, admin, 'bad/meta', { ttl: 5 }), /Unknown setting "ttl"/],
      ];
      for (const [p, why] of cases) {
        const r = await refused(p);
        assert.equal(r.code, 'malformed');
        assert.match(r.detail, why);
      }
      assert.equal(await count(), before);
      assert.deepEqual(await db.query('SELECT path FROM secrets WHERE path IN (?, ?, ?)', ['big/one', 'bad/type', 'bad/meta']), []);
      assert.deepEqual(await db.query('SELECT name FROM secret_policies WHERE name = ?', ['p']), []);
    });
  });
}
