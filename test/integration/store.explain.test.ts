// Cost does not grow with the data (issue 11, target 6): on a database seeded with tens of
// thousands of certificates, orders and authorizations (bench/seed-rows.ts), every statement the
// hot paths run reads the large tables through an index. The statements are not listed here: the
// real store methods run against a Database that records what they send, so the list stays true
// when the SQL changes. Each recorded statement is then EXPLAINed with the parameters it ran with
// (SQLite: EXPLAIN QUERY PLAN, without statistics, as Certainty never runs ANALYZE there;
// PostgreSQL: EXPLAIN after ANALYZE, enable_seqscan left on).
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Authorization, Challenge, IssuedCertificate, Order } from '../../src/acme/types.ts';
import { SqlAcmeStore } from '../../src/store/acme-store.ts';
import { SqlLeaseStore, SqlScheduleStore } from '../../src/store/cluster-store.ts';
import { SqlCrlStore, SqlRevocationStore } from '../../src/store/crl-store.ts';
import type { Database, Queryable } from '../../src/store/db.ts';
import { SqlJobStore } from '../../src/store/job-store.ts';
import { openSeedTarget, seedDatabase } from '../../bench/seed-rows.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const DAY = 86_400_000;
/** Certificates seeded; orders and authorizations come out ~11 % more, challenges ~2.8 per authorization. */
const SEED_ROWS = 20_000;
/** Tables that grow with the CA's history or its traffic. */
const LARGE = new Set(['accounts', 'orders', 'authorizations', 'challenges', 'certificates', 'certificate_names', 'used_nonces', 'jobs']);
/** Statements allowed to read a whole large table, each with the reason. */
const FULL_READS_ALLOWED = new Map([
  // GET /healthz counts the queue by status; done jobs are pruned after a day, so this is bounded.
  ['SELECT status, COUNT(*) AS n FROM jobs GROUP BY status', '/healthz queue summary'],
]);

interface Statement {
  sql: string;
  params: readonly unknown[];
}

function recordOn(q: Queryable, log: Statement[]): Queryable {
  return {
    query: <T>(sql: string, params: readonly unknown[] = []) => {
      log.push({ sql, params });
      return q.query<T>(sql, params);
    },
    exec: (sql: string, params: readonly unknown[] = []) => {
      log.push({ sql, params });
      return q.exec(sql, params);
    },
  };
}

/** A Database that records every statement (and its parameters) sent through it or its transactions. */
function recording(db: Database, log: Statement[]): Database {
  return {
    dialect: db.dialect,
    ...recordOn(db, log),
    transaction: (fn) => db.transaction((tx) => fn({ ...recordOn(tx, log), execScript: (sql) => tx.execScript(sql) })),
    writable: () => db.writable(),
    close: () => db.close(),
  };
}

interface Fixtures {
  accountId: string;
  orderId: string;
  name: string;
  certificate: { id: string; ariId: string };
  issuerId: string;
}

/** Seeded rows to aim the statements at: the busiest account (the worst case for per-account counts). */
async function fixtures(db: Database, issuerId: string): Promise<Fixtures> {
  const [busiest] = await db.query<{ account_id: string }>('SELECT account_id, COUNT(*) AS n FROM orders GROUP BY account_id ORDER BY n DESC LIMIT 1');
  const accountId = busiest?.account_id as string;
  const [order] = await db.query<{ id: string; certificate_id: string }>(
    "SELECT id, certificate_id FROM orders WHERE account_id = ? AND status = 'valid' ORDER BY created_at DESC LIMIT 1", [accountId],
  );
  const [cert] = await db.query<{ ari_id: string; identifiers: string }>('SELECT ari_id, identifiers FROM certificates WHERE id = ?', [order?.certificate_id]);
  const name = (JSON.parse(cert?.identifiers as string) as Array<{ value: string }>)[0]?.value as string;
  return { accountId, orderId: order?.id as string, name, certificate: { id: order?.certificate_id as string, ariId: cert?.ari_id as string }, issuerId };
}

function newOrder(accountId: string, now: number, n: number): { order: Order; authz: Authorization; challenge: Challenge } {
  const id = `explain-${n}`;
  const identifier = { type: 'dns' as const, value: `explain${n}.seed.example` };
  const challenge: Challenge = {
    id: `${id}-c`, authzId: `${id}-a`, type: 'http-01', token: `${id}-token`, status: 'pending', validatedAt: null, error: null,
    validationRecord: null, updatedAt: now, version: 1,
  };
  const authz: Authorization = {
    id: `${id}-a`, orderId: id, accountId, identifier, wildcard: false, status: 'pending', expiresAt: now + 7 * DAY, createdAt: now, version: 1,
    challenges: [challenge],
  };
  const order: Order = {
    id, accountId, status: 'pending', identifiers: [identifier], notBefore: null, notAfter: null, expiresAt: now + 7 * DAY, error: null,
    certificateId: null, replaces: null, createdAt: now, version: 1,
  };
  return { order, authz, challenge };
}

/** The order path as ACME runs it, then validation jobs, housekeeping, leases and schedules, revocation and CRLs. */
async function exercise(db: Database, f: Fixtures): Promise<void> {
  const now = Date.now();
  const acme = new SqlAcmeStore(db);
  // JWS: nonce redemption and the account (by kid, by key); new-account limits.
  await acme.redeemNonces([{ nonce: 'explain-nonce', expiresAt: now + 3_600_000 }]);
  const account = await acme.accountById(f.accountId);
  assert.ok(account, 'the busiest account was seeded');
  await acme.accountByThumbprint(account.thumbprint);
  await acme.insertAccount({ ...account, id: 'explain-account', thumbprint: 'explain-thumbprint' });
  await acme.insertAccountOrigin('explain-account', '127.0.0.0/24', now);
  await acme.countAccountsFromSince('127.0.0.0/24', now - DAY);
  await acme.updateAccount(account);
  // New order: rate limits, reusable authorizations, ARI replacement, the insert.
  await acme.countOrdersSince(f.accountId, now - 3 * 3_600_000);
  await acme.countCertificatesForNameSince(f.name, now - 7 * DAY);
  await acme.countFailedAuthorizationsSince(f.accountId, now - 3_600_000);
  await acme.validAuthorizationNames(f.accountId, now);
  await acme.certificateByAriId(f.certificate.ariId);
  await acme.markReplaced(f.certificate.id, 'explain-0');
  const { order, authz, challenge } = newOrder(f.accountId, now, 0);
  await acme.transaction((s) => s.insertOrder(order, [authz]));
  await acme.orderById(order.id);
  await acme.authorizationsForOrder(order.id);
  await acme.orderIdsForAccount(f.accountId, null, 100);
  await acme.orderIdsForAccount(f.accountId, { createdAt: now - 30 * DAY, id: f.orderId }, 100);
  // Challenge: validation queued (fairness count), then the validation's updates.
  await acme.authorizationById(authz.id);
  await acme.challengeById(challenge.id);
  await acme.authorizationByChallengeId(challenge.id);
  await acme.transaction(async (s) => {
    await s.pendingValidations(f.accountId);
    await s.enqueueJob('validate-challenge', { challengeId: challenge.id }, { idempotencyKey: `validate:${challenge.id}`, fairKey: f.accountId, claimFor: { owner: 'node-a', claimMs: 10_000 } });
  });
  await acme.updateChallenge({ ...challenge, status: 'valid', validatedAt: now, updatedAt: now });
  await acme.updateAuthorization({ ...authz, status: 'valid' });
  // Finalize and certificate download.
  await acme.transaction(async (s) => {
    const locked = await s.lockOrder(order.id);
    assert.ok(locked);
    const cert: IssuedCertificate = {
      id: 'explain-cert', serial: '0badc0ffee', accountId: f.accountId, orderId: order.id, issuerId: f.issuerId, der: Buffer.from([0x30, 0]),
      chainPem: '', identifiers: order.identifiers, notBefore: now, notAfter: now + 90 * DAY, ariId: 'explain.ari', replacedBy: null,
      revokedAt: null, revocationReason: null, createdAt: now,
    };
    await s.insertCertificate(cert);
    await s.updateOrder({ ...locked, status: 'valid', certificateId: cert.id });
  });
  await acme.certificateById('explain-cert');
  await acme.certificateBySerial('0badc0ffee');
  await acme.foldOccurrence('explain-fold', 60_000, now);
  // Housekeeping (src/duties.ts).
  await acme.expireStale(now);
  await acme.pruneNonces(now);
  const jobs = new SqlJobStore(db);
  await jobs.pruneDone(DAY);
  // The job queue: enqueue, claim, heartbeat, complete, fail, release; start-up reclaim; health.
  await jobs.enqueue('validate-challenge', { challengeId: 'x' }, { idempotencyKey: 'explain-job', fairKey: f.accountId });
  const claimed = await jobs.claim('node-b', ['validate-challenge', 'crl'], 4, 10_000);
  for (const job of claimed) {
    await jobs.heartbeat(job.id, 'node-b', 10_000);
    await jobs.complete(job.id, 'node-b');
  }
  await jobs.fail('explain-missing', 'node-b', { final: false, retryInMs: 1_000, error: 'x' });
  await jobs.release('explain-missing', 'node-b');
  await jobs.pendingForKey(f.accountId);
  await jobs.reclaimOwn('node-b');
  await jobs.depth();
  // Leases and the duty schedule.
  const leases = new SqlLeaseStore(db);
  const lease = await leases.acquire('scheduler', 'node-a', 15_000);
  assert.ok(lease);
  await leases.renew(lease, 'node-a', 15_000);
  const schedules = new SqlScheduleStore(db);
  await schedules.addSchedules(['housekeeping']);
  await schedules.transaction(async (s) => {
    await s.fence(lease, 'node-a');
    for (const due of await s.due()) await s.advance({ name: due.name, slot: due.slot, periodMs: 60_000, token: lease.token, holder: 'node-a' });
  });
  await leases.release(lease, 'node-a');
  // Revocation and the CRL builds: the issuer-wide CRL, and a shard's (ca.crlShards).
  await new SqlRevocationStore(db).transaction(async (s) => {
    const issuer = await s.markRevoked(f.certificate.id, now, 1, null);
    assert.equal(issuer, f.issuerId);
    await s.queueCrlJob(issuer, await s.bumpRevocationGeneration(issuer), null);
    await s.queueCrlJob(issuer, await s.bumpShardGeneration(issuer, 1), 1);
  });
  const crls = new SqlCrlStore(db);
  for (const partition of ['all', 'unsharded', 1] as const) {
    const snapshot = await crls.snapshot(f.issuerId, partition, now);
    const crl = { number: snapshot.number, generation: snapshot.generation, der: Buffer.from([0x30, 0]), thisUpdate: now, nextUpdate: now + DAY };
    await crls.publish(f.issuerId, partition, crl);
    await crls.current(f.issuerId, partition);
  }
  await crls.storedShards(f.issuerId);
}

async function plan(db: Database, s: Statement): Promise<string[]> {
  if (db.dialect.name === 'sqlite') return (await db.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${s.sql}`, s.params)).map((p) => p.detail);
  return (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${s.sql}`, s.params)).map((p) => p['QUERY PLAN'].trim());
}

/** Plan lines that read a large table whole: `SCAN t` on SQLite, `Seq Scan on t` on PostgreSQL. */
function fullReads(lines: string[]): string[] {
  return lines.filter((line) => LARGE.has(/^SCAN (\w+)/.exec(line)?.[1] ?? /Seq Scan on (\w+)/.exec(line)?.[1] ?? ''));
}

async function seeded(dialect: 'sqlite' | 'postgres'): Promise<{ db: Database; cleanup: () => Promise<void> }> {
  const dir = await makeTempDir('explain');
  const db = await openSeedTarget(dialect === 'postgres' ? { databaseUrl: await freshDatabaseUrl('postgres') } : { dataDir: dir });
  // The intermediate the seeded certificates name, so the CRL build reads them.
  await db.exec(
    `INSERT INTO issuers (id, role, algorithm, cert_pem, chain_pem, key_wrapped, not_after, active, created_at) VALUES ('explain-issuer', 'intermediate', 'ecdsa-p256', '', '', NULL, ?, 1, 0)`,
    [Date.now() + 365 * DAY],
  );
  const report = await seedDatabase(db, { rows: SEED_ROWS, maxSeconds: 300, now: Date.now(), months: 12 });
  assert.ok(report.complete, 'seeding finished');
  return { db, cleanup: async () => { await db.close(); await removeDir(dir); } };
}

for (const dialect of dialects()) {
  test(`every hot statement reads the large tables through an index (${dialect})`, { timeout: 600_000 }, async () => {
    const { db, cleanup } = await seeded(dialect);
    try {
      const log: Statement[] = [];
      await exercise(recording(db, log), await fixtures(db, 'explain-issuer'));
      const statements = [...new Map(log.map((s) => [s.sql, s])).values()];
      assert.ok(statements.length >= 40, `the paths ran ${statements.length} distinct statements`);
      const failures: string[] = [];
      for (const s of statements) {
        const lines = await plan(db, s);
        const reads = fullReads(lines);
        const sql = s.sql.replace(/\s+/g, ' ').trim();
        // EXPLAIN_PLANS=1 prints every statement with its plan.
        if (process.env['EXPLAIN_PLANS']) console.log(`${sql}\n  ${lines.join('\n  ')}`);
        if (reads.length > 0 && !FULL_READS_ALLOWED.has(sql)) failures.push(`${reads.join('; ')}\n    in: ${sql}`);
      }
      assert.deepEqual(failures, [], `statements that read a large table whole:\n${failures.join('\n')}`);
    } finally {
      await cleanup();
    }
  });
}
