// Operator access against a real node on both dialects: custom roles, a token's last use and path
// scope, break-glass tokens, and audit records that name the token behind every admin API change.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { dialects } from '../support/node.ts';
import { runUnchecked } from '../support/run.ts';

for (const dialect of dialects()) {
  describe(`admin roles and tokens (${dialect})`, { timeout: 600_000 }, () => {
    let acme: AcmeNode;
    let env: Record<string, string>;

    const cli = (...args: string[]) => runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args], { env, timeoutMs: 30_000 });
    const cliJson = async (...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = await cli(...args, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const api = (path: string, token: string, method = 'GET', body?: unknown) =>
      acme.transport.request(method, acme.node.baseUrl + path, body === undefined ? undefined : JSON.stringify(body), { authorization: `Bearer ${token}` });

    before(async () => {
      acme = await startAcmeNode(dialect);
      env = { CERTAINTY_DATA_DIR: acme.node.dataDir, ...(acme.databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: acme.databaseUrl }) };
    });
    after(() => acme?.stop());

    test('a revoke through the admin API is recorded as the token, found with audit search --actor token:<id>', async () => {
      const { id, token } = await cliJson('token', 'create', 'revoker', '--role', 'operator');
      const client = await acme.newClient();
      acme.dns.set('audit.example.test', { A: ['127.0.0.1'] });
      await client.issue({ identifiers: ['audit.example.test'], challengeType: 'http-01', solver: acme.responder });
      const [cert] = await cliJson('cert', 'list', '--name', 'audit.example.test');
      const revoked = await api(`/admin/certificates/${cert.serial}/revoke`, token, 'POST', { reason: 4 });
      assert.equal(revoked.status, 200, revoked.text);
      const records = await cliJson('audit', 'search', '--actor', `token:${id}`, '--action', 'certificate.revoked');
      assert.equal(records.length, 1);
      assert.equal(records[0].object, `certificate:${cert.serial}`);
      assert.deepEqual(records[0].details, { reason: 4, tokenName: 'revoker' });
      assert.deepEqual(await cliJson('audit', 'list', '--actor', 'admin-api', '--action', 'certificate.revoked'), []);
    });

    test('custom roles: created from permissions, used by a token, refused once removed; built-in names stay', async () => {
      const builtin = await cli('role', 'create', 'viewer', '--permission', 'acme.read');
      assert.equal(builtin.code, 1);
      assert.match(builtin.stderr, /"viewer" is a built-in role .* cannot be redefined/);
      const badPermission = await cli('role', 'create', 'x', '--permission', 'acme.write');
      assert.notEqual(badPermission.code, 0);
      assert.match(badPermission.stderr, /argument 'acme\.write' is invalid/);
      const unknownRole = await cli('token', 'create', 'x', '--role', 'cert-reader');
      assert.equal(unknownRole.code, 1);
      assert.match(unknownRole.stderr, /No role "cert-reader".*certainty role create cert-reader/);

      const role = await cliJson('role', 'create', 'cert-reader', '--permission', 'acme.read', 'status.read', '--description', 'dashboards');
      assert.deepEqual(role.permissions, ['status.read', 'acme.read']);
      assert.equal((await cli('role', 'create', 'cert-reader', '--permission', 'acme.read')).code, 1);
      assert.deepEqual((await cliJson('role', 'list')).map((r: { name: string }) => r.name), ['cert-reader']);
      const t = await cliJson('token', 'create', 'grafana', '--role', 'cert-reader');
      assert.equal(t.role, 'cert-reader');
      assert.equal((await api('/admin/certificates', t.token)).status, 200);
      const refused = await api('/admin/eab', t.token);
      assert.equal(refused.status, 403);
      assert.match(refused.body.detail, /needs the "eab\.manage" permission, which token \w+'s role "cert-reader" does not have/);
      assert.equal((await cliJson('role', 'show', 'cert-reader')).liveTokens, 1);

      const removed = await cli('role', 'remove', 'cert-reader');
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /1 live token\(s\) had it and are now refused/);
      const orphan = await api('/admin/certificates', t.token);
      assert.equal(orphan.status, 403);
      assert.match(orphan.body.detail, new RegExp(`Token ${t.id}'s role "cert-reader" was removed`));
      const audited = await cliJson('audit', 'list', '--object', 'role:cert-reader');
      assert.deepEqual(audited.map((r: { action: string }) => r.action).sort(), ['admin.role-created', 'admin.role-removed']);
    });

    test('last use is recorded at most once a minute and shown with its age', async () => {
      const t = await cliJson('token', 'create', 'probe', '--role', 'viewer');
      const row = async () => (await cliJson('token', 'list')).find((x: { id: string }) => x.id === t.id);
      assert.equal((await row()).lastUsedAt, null);
      assert.match((await cli('token', 'list')).stdout, /probe\s+viewer\s+-\s+\S+\s+never\s+never\s+no/);
      assert.equal((await api('/admin/status', t.token)).status, 200);
      const first = (await row()).lastUsedAt as string;
      assert.ok(Math.abs(Date.parse(first) - Date.now()) < 30_000, first);
      assert.equal((await api('/admin/status', t.token)).status, 200);
      assert.equal((await row()).lastUsedAt, first, 'a second use within the minute writes nothing');
      assert.match((await cli('token', 'list')).stdout, /probe\s+viewer\s+-\s+\S+\s+never\s+[\d.]+ (ms|s) ago\s+no/);
    });

    test('a path-scoped token is refused outside its prefix with a problem naming it', async () => {
      const t = await cliJson('token', 'create', 'team-a-deploy', '--path-prefix', '/admin/secrets/data/team-a/');
      assert.equal(t.pathPrefix, '/admin/secrets/data/team-a');
      const outside = await api('/admin/status', t.token);
      assert.equal(outside.status, 403);
      assert.equal(outside.headers['content-type'], 'application/problem+json');
      assert.match(outside.body.detail, /limited to \/admin\/secrets\/data\/team-a and the paths below it; \/admin\/status is outside/);
      assert.equal((await api('/admin/secrets/data/team-b/db', t.token)).status, 403);
      assert.equal((await api('/admin/secrets/data/team-a%2F..%2Fteam-b', t.token)).status, 403);
      const written = await api('/admin/secrets/data/team-a/db', t.token, 'PUT', { data: { password: 'correct horse' } });
      assert.equal(written.status, 200, written.text);
      const bad = await cli('token', 'create', 'x', '--path-prefix', '/admin/../status');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--path-prefix "\/admin\/\.\.\/status" must be an admin API path/);
    });

    test('break-glass: admin only, a ttl of at most 24h, and its creation and every use audited with breakGlass', async () => {
      for (const [args, message] of [
        [[], /needs --ttl of at most 24h/], [['--ttl', '25h'], /needs --ttl of at most 24h/], [['--ttl', '1h', '--role', 'viewer'], /has the admin role; drop --role viewer/],
      ] as const) {
        const r = await cli('token', 'create', 'bg', '--break-glass', ...args);
        assert.equal(r.code, 1, args.join(' '));
        assert.match(r.stderr, message);
      }
      const created = await cli('token', 'create', 'incident-7', '--break-glass', '--ttl', '1h', '--json');
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stderr, /Break-glass token \w+: its creation and every use are audited/);
      const t = JSON.parse(created.stdout);
      assert.equal(t.breakGlass, true);
      assert.equal((await api('/admin/status', t.token)).status, 200);
      assert.equal((await api('/admin/eab', t.token, 'POST', { label: 'emergency' })).status, 201);
      const made = await cliJson('audit', 'list', '--object', `token:${t.id}`, '--action', 'admin.token-created');
      assert.equal(made[0].details.breakGlass, true);
      const uses = await cliJson('audit', 'list', '--object', `token:${t.id}`, '--action', 'admin.token-used');
      assert.equal(uses.length, 2);
      assert.ok(uses.every((u: { details: { breakGlass?: boolean } }) => u.details.breakGlass === true));
      const [eab] = await cliJson('audit', 'list', '--actor', `token:${t.id}`, '--action', 'eab.created');
      assert.deepEqual(eab.details, { label: 'emergency', tokenName: 'incident-7', breakGlass: true });
      assert.match((await cli('token', 'list')).stdout, /incident-7\s+admin \(break-glass\)/);
    });
  });
}
