// Abuse limits against real nodes, on every dialect: pending
// validations per account, identifiers per order, new accounts per client address (forwarded
// addresses honoured only from trusted proxies), and folded audit records of EAB failures.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AcmeClient, AcmeTransport, generateAcmeKey, type AcmeKey, type AcmeResponse } from '../../src/acme-client/client.ts';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';
import type { Database } from '../../src/store/db.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { SqliteDatabase } from '../../src/store/sqlite.ts';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';

const P = 'urn:ietf:params:acme:error:';

function assertRateLimited(res: AcmeResponse): void {
  assert.equal(res.body?.type, `${P}rateLimited`, `expected rateLimited, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After in seconds');
}

/** newAccount for a fresh key, optionally with an X-Forwarded-For header. */
async function newAccount(t: AcmeTransport, forwardedFor?: string, payload: Record<string, unknown> = {}, key?: AcmeKey): Promise<AcmeResponse> {
  const url = await t.url('newAccount');
  const jws = await t.signJws({ url, key: key ?? (await generateAcmeKey()), payload: { termsOfServiceAgreed: true, ...payload } });
  const headers: Record<string, string> = { 'content-type': 'application/jose+json', ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) };
  return t.request('POST', url, JSON.stringify(jws), headers);
}

function openDb(node: TestNode, databaseUrl: string | undefined): Database {
  return databaseUrl === undefined
    ? new SqliteDatabase(join(node.dataDir, 'certainty.db'))
    : new PostgresDatabase(databaseUrl, { poolSize: 1, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
}

for (const dialect of dialects()) {
  describe(`ACME abuse limits (${dialect})`, { timeout: 180_000 }, () => {
    let acme: AcmeNode;
    let dns: TestDnsServer;
    let node: TestNode;
    let proxied: TestNode;
    let databaseUrl: string | undefined;
    let t: AcmeTransport;
    let client: AcmeClient;

    before(async () => {
      const common = { 'validation.timeoutMs': '30000', 'acme.challengeWaitMs': '0', 'server.shutdownTimeoutMs': '2000' };
      acme = await startAcmeNode(dialect, {
        set: {
          ...common, 'rateLimits.pendingValidationsPerAccount': '2', 'policy.maxIdentifiersPerOrder': '3',
          'rateLimits.accountsPerAddress': '{"limit":3,"windowSeconds":3600}',
        },
      });
      ({ node, dns, databaseUrl, transport: t } = acme);
      proxied = await startNode({
        databaseUrl: await freshDatabaseUrl(dialect),
        set: {
          ...common, 'validation.dnsServer': dns.address,
          'server.trustedProxies': '127.0.0.1/32', 'rateLimits.accountsPerAddress': '{"limit":1,"windowSeconds":3600}',
        },
      });
      client = await acme.newClient();
    });
    after(async () => {
      await proxied?.stop();
      await acme?.stop();
    });

    test('pending validations per account are capped: rateLimited with Retry-After', async () => {
      // The names' DNS queries are dropped, so their validations stay pending for the whole test.
      const names = ['p1.limits.test', 'p2.limits.test', 'p3.limits.test'];
      for (const name of names) dns.set(name, 'drop');
      const order = await client.newOrder(names);
      const challenges: string[] = [];
      for (const authzUrl of order.authorizations as string[]) {
        const authz = await client.getAuthorization(authzUrl);
        challenges.push(authz.challenges.find((c: { type: string }) => c.type === 'http-01').url);
      }
      for (const url of challenges.slice(0, 2)) {
        const res = await client.signedPost(url, {});
        assert.equal(res.body.status, 'processing');
      }
      const third = await t.post(challenges[2] as string, await t.signJws({ url: challenges[2] as string, key: client.key, kid: client.accountUrl as string, payload: {} }));
      assertRateLimited(third);
      assert.match(third.body.detail, /pending validations/);
      assert.equal(third.headers['retry-after'], '30', 'one validation deadline (validation.timeoutMs)');
      assert.equal((await client.signedPost(challenges[2] as string, '')).body.status, 'pending', 'the refused challenge was left pending');
    });

    test('an order may name at most policy.maxIdentifiersPerOrder identifiers (malformed)', async () => {
      const url = await t.url('newOrder');
      const identifiers = ['a', 'b', 'c', 'd'].map((n) => ({ type: 'dns', value: `${n}.many.test` }));
      const res = await t.post(url, await t.signJws({ url, key: client.key, kid: client.accountUrl as string, payload: { identifiers } }));
      assert.equal(res.body?.type, `${P}malformed`, res.text);
      assert.match(res.body.detail, /more than 3 identifiers/);
      assert.equal((await client.newOrder(identifiers.slice(0, 3).map((i) => i.value))).status, 'pending');
    });

    test('newAccount with unknown EAB key ids leaves a bounded number of audit records', async () => {
      const key = await generateAcmeKey();
      const url = await t.url('newAccount');
      for (let i = 0; i < 30; i++) {
        const eab = await new AcmeClient(t, key).externalAccountBinding(url, { kid: `no-such-kid-${i}`, hmacKey: Buffer.alloc(32, i).toString('base64url') });
        const res = await newAccount(t, undefined, { externalAccountBinding: eab }, key);
        assert.equal(res.body?.type, `${P}unauthorized`, res.text);
      }
      const db = openDb(node, databaseUrl);
      try {
        const rows = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_records WHERE action = 'eab.used' AND outcome = 'failure'`);
        const n = Number(rows[0]?.n);
        assert.ok(n >= 1 && n <= 2, `30 failures left ${n} audit records (one per key id group and minute)`);
      } finally {
        await db.close();
      }
    });

    test('new accounts per client address: X-Forwarded-For is ignored from an untrusted peer', async () => {
      // The account made in before() is the first of three from 127.0.0.1.
      assert.equal((await newAccount(t, '10.9.9.1')).status, 201);
      assert.equal((await newAccount(t, '10.9.9.2')).status, 201);
      assertRateLimited(await newAccount(t, '10.9.9.3'));
      assert.equal((await client.createAccount()).status, 'valid', 'an existing account is still found');
    });

    test('new accounts per client address: X-Forwarded-For from a trusted proxy, IPv6 per /64', async () => {
      const pt = new AcmeTransport({ directoryUrl: proxied.directoryUrl, ca: proxied.rootPem });
      try {
        assert.equal((await newAccount(pt, '10.0.0.1')).status, 201);
        assertRateLimited(await newAccount(pt, '10.0.0.1'));
        assert.equal((await newAccount(pt, '10.0.0.1, 10.0.0.2')).status, 201, 'the rightmost address a trusted proxy reported is the client');
        assertRateLimited(await newAccount(pt, '10.0.0.3, 10.0.0.2'));
        assert.equal((await newAccount(pt)).status, 201, 'no header: the proxy itself');
        assert.equal((await newAccount(pt, '2001:db8:1:2::1')).status, 201);
        assertRateLimited(await newAccount(pt, '2001:db8:1:2::ffff'));
        assert.equal((await newAccount(pt, '[2001:db8:1:3::1]:4711')).status, 201);
      } finally {
        pt.close();
      }
    });
  });
}
