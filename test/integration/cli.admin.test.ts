// The operator's tools against a real node: the certainty CLI (a separate process on the same
// database) and the admin HTTP API, plus External Account Binding end to end.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AcmeClient, generateAcmeKey, type AcmeError, type AcmeTransport } from '../../src/acme-client/client.ts';
import { adminRequest } from '../support/admin-api.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { dialects, type TestNode } from '../support/node.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import { runUnchecked } from '../support/run.ts';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';

const P = 'urn:ietf:params:acme:error:';

for (const dialect of dialects()) {
  describe(`CLI, admin API and EAB (${dialect})`, { timeout: 300_000 }, () => {
    let acme: AcmeNode;
    let node: TestNode;
    let dns: TestDnsServer;
    let responder: Http01Responder;
    let t: AcmeTransport;
    let env: Record<string, string>;

    const cli = async (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args], { env, timeoutMs: 30_000 });
    const cliJson = async (...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = await cli(...args, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const admin = (path: string, token: string | undefined, method = 'GET', body?: unknown) =>
      adminRequest(t, method, node.baseUrl + path, body === undefined ? undefined : JSON.stringify(body), token === undefined ? {} : { authorization: `Bearer ${token}` });

    before(async () => {
      acme = await startAcmeNode(dialect, { set: { 'acme.externalAccountRequired': 'true' } });
      ({ node, dns, responder, transport: t } = acme);
      const { databaseUrl } = acme;
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(() => acme?.stop());

    test('ca export prints the root; status and migrate report the schema', async () => {
      const r = await cli('ca', 'export');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, node.rootPem);
      const show = await cliJson('ca', 'show');
      assert.match(show.root.subject, /Certainty Root CA/);
      const status = await cliJson('status');
      assert.equal(status.schema.current, status.schema.latest);
      assert.deepEqual((await cliJson('migrate')).applied, []);
    });

    test('admin API: no token, bad token, good token, revoked token', async () => {
      const none = await admin('/admin/status', undefined);
      assert.equal(none.status, 401);
      assert.match(String(none.headers['www-authenticate']), /Bearer/);
      assert.match(none.body.detail, /certainty token create/);
      assert.equal((await admin('/admin/status', 'cty_000000000000_' + 'x'.repeat(32))).status, 401);
      const { id, token } = await cliJson('token', 'create', 'ci');
      const ok = await admin('/admin/status', token);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(typeof ok.body.counts.accounts, 'number');
      assert.equal((await admin('/admin/nothing', token)).status, 404);
      assert.equal((await admin('/admin/status', token, 'DELETE')).status, 405);
      const tokens = await cliJson('token', 'list');
      assert.ok(tokens.some((x: { id: string }) => x.id === id));
      assert.equal((await cli('token', 'revoke', id)).code, 0);
      assert.equal((await admin('/admin/status', token)).status, 401);
    });

    test('token roles and expiry: a machine token is refused by admin endpoints, an expired token is refused like a revoked one', async () => {
      const machine = await cliJson('token', 'create', 'host-42', '--role', 'machine', '--ttl', '30d');
      assert.equal(machine.role, 'machine');
      assert.ok(Date.parse(machine.expiresAt) > Date.now() + 29 * 86_400_000);
      const refused = await admin('/admin/status', machine.token);
      assert.equal(refused.status, 403, refused.text);
      assert.match(refused.body.detail, /needs the "status\.read" permission, which token \w+'s role "machine" does not have \(roles that have it: admin, viewer/);
      const listed = (await cliJson('token', 'list')).find((x: { id: string }) => x.id === machine.id);
      assert.equal(listed.role, 'machine');
      assert.equal(listed.expiresAt, machine.expiresAt);

      // Long enough that a busy machine still uses the token before it expires, then wait it out.
      const short = await cliJson('token', 'create', 'short-lived', '--ttl', '20s');
      const expiresAt = Date.parse(short.expiresAt);
      if (Date.now() < expiresAt - 5_000) assert.equal((await admin('/admin/status', short.token)).status, 200);
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
      const expired = await admin('/admin/status', short.token);
      assert.equal(expired.status, 401);
      assert.match(expired.body.detail, /invalid, expired or revoked/);
      assert.match((await cli('token', 'list')).stdout, /short-lived\s+admin\s+-\s+\S+\s+expired\s+[\d.]+ (ms|s) ago/);

      // Each role reaches what its permissions say: a viewer reads and changes nothing; a
      // secrets-admin sees none of the CA's inventory; an operator revokes.
      const viewer = (await cliJson('token', 'create', 'dashboard', '--role', 'viewer')).token as string;
      assert.equal((await admin('/admin/accounts', viewer)).status, 200);
      const noRevoke = await admin('/admin/certificates/00/revoke', viewer, 'POST', { reason: 1 });
      assert.equal(noRevoke.status, 403, noRevoke.text);
      assert.match(noRevoke.body.detail, /"acme\.manage" permission.*role "viewer".*roles that have it: admin, operator, ca-admin\)/);
      assert.equal((await admin('/admin/eab', viewer)).status, 403);
      const secretsAdmin = (await cliJson('token', 'create', 'vault-ops', '--role', 'secrets-admin')).token as string;
      assert.equal((await admin('/admin/status', secretsAdmin)).status, 200);
      assert.equal((await admin('/admin/accounts', secretsAdmin)).status, 403);
      const operator = (await cliJson('token', 'create', 'on-call', '--role', 'operator')).token as string;
      // Past the permission check, to the certificate lookup: an unknown serial is 404, not 403.
      assert.equal((await admin('/admin/certificates/00/revoke', operator, 'POST', { reason: 1 })).status, 404);
      assert.equal((await admin('/admin/eab', operator)).status, 403);

      const badRole = await cli('token', 'create', 'x', '--role', 'root');
      assert.notEqual(badRole.code, 0);
      assert.match(badRole.stderr, /No role "root": use a built-in role or create it first with "certainty role create root/);
      const badTtl = await cli('token', 'create', 'x', '--ttl', 'forever');
      assert.notEqual(badTtl.code, 0);
      assert.match(badTtl.stderr, /"forever" is not a duration; write it like 45s/);
    });

    test('EAB: required, wrong MAC rejected, a key binds one account only', async () => {
      const noEab = new AcmeClient(t);
      await assert.rejects(noEab.createAccount(), (e: AcmeError) => e.type === `${P}externalAccountRequired`);
      const { kid, hmacKey } = await cliJson('eab', 'create', '--label', 'team-a');
      const wrongMac = new AcmeClient(t);
      await assert.rejects(wrongMac.createAccount({ eab: { kid, hmacKey: Buffer.alloc(32, 1).toString('base64url') } }), (e: AcmeError) => e.type === `${P}unauthorized`);
      const good = new AcmeClient(t);
      const account = await good.createAccount({ eab: { kid, hmacKey } });
      assert.equal(account.status, 'valid');
      assert.equal(account.externalAccountBinding.kid, kid);
      const reuse = new AcmeClient(t, await generateAcmeKey());
      await assert.rejects(reuse.createAccount({ eab: { kid, hmacKey } }), (e: AcmeError) => e.type === `${P}unauthorized`);
      const keys = await cliJson('eab', 'list');
      assert.equal(keys.find((k: { kid: string }) => k.kid === kid).accountId, account.url.split('/').pop());
    });

    test('accounts and certificates: list, show, revoke into the CRL, deactivate', async () => {
      const { kid, hmacKey } = await cliJson('eab', 'create');
      const client = new AcmeClient(t, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
      await client.createAccount({ eab: { kid, hmacKey } });
      dns.set('cli.example.test', { A: ['127.0.0.1'] });
      const issued = await client.issue({ identifiers: ['cli.example.test'], challengeType: 'http-01', solver: responder });
      const accountId = String(client.accountUrl).split('/').pop() as string;
      const accounts = await cliJson('account', 'list');
      assert.ok(accounts.some((a: { id: string; certificates: number }) => a.id === accountId && a.certificates === 1));
      const certs = await cliJson('cert', 'list', '--name', 'cli.example.test');
      assert.equal(certs.length, 1);
      const serial: string = certs[0].serial;
      const pem = await cli('cert', 'show', serial, '--pem');
      assert.equal(pem.stdout.trim(), (issued.certificatePem.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----').trim());
      const revoked = await cli('cert', 'revoke', serial, '--reason', 'keyCompromise');
      assert.equal(revoked.code, 0, revoked.stderr);
      const again = await cli('cert', 'revoke', serial);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already revoked/);
      const crlPath = join(node.dataDir, 'test.crl');
      const crlUrl = `${node.baseUrl}/crl/${(await cliJson('ca', 'show')).issuerId}.crl`;
      writeFileSync(crlPath, await fetchBinary(crlUrl, node.rootPem));
      const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-noout', '-text'], { encoding: 'utf8' });
      assert.match(text.replace(/:/g, '').toLowerCase(), new RegExp(serial));
      assert.match(text, /Key Compromise/);
      const deactivated = await cli('account', 'deactivate', accountId);
      assert.equal(deactivated.code, 0, deactivated.stderr);
      await assert.rejects(client.newOrder(['x.example.test']), (e: AcmeError) => e.type === `${P}unauthorized`);
    });

    test('CLI errors are one clear line', async () => {
      const unknown = await cli('cert', 'show', 'abcdef');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^certainty: No certificate with serial abcdef/);
      const badKey = await cli('status', '--set', 'validation.http01port=80');
      assert.equal(badKey.code, 1);
      assert.match(badKey.stderr, /validation.*http01port/);
      const badReason = await cli('cert', 'revoke', '01', '--reason', 'bored');
      assert.equal(badReason.code, 1);
      assert.match(badReason.stderr, /unknown reason "bored"/);
      assert.doesNotMatch(readFileSync(join(node.dataDir, 'kek.key'), 'utf8'), /^\s*$/);
    });
  });
}

async function fetchBinary(url: string, ca: string): Promise<Buffer> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${String(res.statusCode)}`));
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
    }).on('error', reject).end();
  });
}
