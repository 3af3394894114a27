import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { isAppError } from '../errors.ts';
import { SqlAcmeStore } from '../store/acme-store.ts';
import { migrate } from '../store/migrations.ts';
import { SqliteDatabase } from '../store/sqlite.ts';
import { NonceService } from './nonce.ts';

async function setup(now: () => number): Promise<{ a: NonceService; b: NonceService; other: NonceService; store: SqlAcmeStore }> {
  const db = new SqliteDatabase(':memory:');
  await migrate(db);
  const store = new SqlAcmeStore(db);
  const key = randomBytes(32);
  return {
    a: new NonceService(key, store, 60_000, now),
    b: new NonceService(key, store, 60_000, now),
    other: new NonceService(randomBytes(32), store, 60_000, now),
    store,
  };
}

const badNonce = (detail: RegExp) => (e: unknown) => isAppError(e) && e.code === 'badNonce' && detail.test(e.detail);

test('a nonce minted by one node is accepted exactly once by another', async () => {
  const { a, b } = await setup(Date.now);
  const n = a.issue();
  await b.redeem(n);
  await assert.rejects(a.redeem(n), badNonce(/already used/));
});

test('concurrent redeems of one nonce on two nodes: exactly one wins', async () => {
  const { a, b } = await setup(Date.now);
  const nonces = Array.from({ length: 20 }, () => a.issue());
  const results = await Promise.allSettled(nonces.flatMap((n) => [a.redeem(n), b.redeem(n), a.redeem(n)]));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 20);
  assert.ok(results.filter((r) => r.status === 'rejected').every((r) => badNonce(/already used/)((r as PromiseRejectedResult).reason)));
});

test('forged, foreign, malformed and missing nonces are rejected', async () => {
  const { a, other } = await setup(Date.now);
  await assert.rejects(a.redeem(other.issue()), badNonce(/not issued/));
  const n = Buffer.from(a.issue(), 'base64url');
  n[3] = (n[3] ?? 0) ^ 1;
  await assert.rejects(a.redeem(n.toString('base64url')), badNonce(/not issued/));
  await assert.rejects(a.redeem('!!!'), badNonce(/not issued/));
  await assert.rejects(a.redeem(undefined), badNonce(/no "nonce"/));
});

test('expired nonces are rejected and pruned used nonces stay rejected until expiry', async () => {
  let now = 1_000_000;
  const { a, store } = await setup(() => now);
  const old = a.issue();
  const fresh = a.issue();
  await a.redeem(fresh);
  now += 61_000;
  await assert.rejects(a.redeem(old), badNonce(/expired/));
  assert.equal(await store.pruneNonces(now), 1);
  await assert.rejects(a.redeem(fresh), badNonce(/expired/));
});

test('nonces minted in the same millisecond across refills of the random pool are all distinct', async () => {
  const { a } = await setup(() => 1_700_000_000_000);
  // 1,500 nonces use the 4 KiB pool about three times; with a fixed clock only the random part differs.
  const nonces = Array.from({ length: 1_500 }, () => a.issue());
  assert.equal(new Set(nonces).size, nonces.length);
  const randomParts = new Set(nonces.map((n) => Buffer.from(n, 'base64url').subarray(8, 16).toString('hex')));
  assert.equal(randomParts.size, nonces.length);
});
