// What a running node records: every security-relevant event of the ACME API, the admin API and
// the CLI lands in the chains, with the right actor and object, no secrets, and the chains verify.
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditRecordJson } from '../../src/audit/wire.ts';
import { loadConfig } from '../../src/config/load.ts';
import { AcmeClient, AcmeTransport, generateAcmeKey } from '../../src/acme-client/client.ts';
import { adminRequest } from '../support/admin-api.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { startHttp01Responder, type Http01Responder } from '../../src/acme-client/responder.ts';
import { runUnchecked } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

/** Runs `certainty` from the sources in a child process, so its exit code is real. */
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `const { run } = await import(${JSON.stringify(join(REPO_ROOT, 'src/cli/index.ts'))}); process.exitCode = await run(['node', 'certainty', ...process.argv.slice(1)]);`;
  return runUnchecked(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { env: { ...env, CERTAINTY_LOG_LEVEL: 'silent' }, timeoutMs: 60_000, cwd: REPO_ROOT });
}

const firstPem = (chain: string): Buffer => new X509Certificate(chain).raw;

for (const dialect of dialects()) {
  describe(`audit events of a running node (${dialect})`, { timeout: 240_000 }, () => {
    let node: TestNode;
    let responder: Http01Responder;
    let dataDir: string;
    let databaseUrl: string | undefined;
    let env: Record<string, string>;
    const secrets: string[] = [];
    const cliJson = async (...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = await cli(env, ...args, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const start = (set: Record<string, string> = {}): Promise<TestNode> =>
      startNode({ databaseUrl, dataDir, set: { 'validation.http01Port': String(responder.port), 'acme.externalAccountRequired': 'true', ...set } });

    before(async () => {
      responder = await startHttp01Responder();
      databaseUrl = await freshDatabaseUrl(dialect);
      dataDir = await makeTempDir('audit-events');
      node = await start();
      env = { CERTAINTY_DATA_DIR: dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(async () => {
      await node?.stop();
      await responder?.close();
      await removeDir(dataDir);
    });

    test('ACME, admin API and CLI events are recorded with actor and object', async () => {
      const t = new AcmeTransport({ directoryUrl: node.directoryUrl, ca: node.rootPem });
      const eab = await cliJson('eab', 'create', '--label', 'team-a');
      secrets.push(eab.hmacKey);
      const stranger = new AcmeClient(t);
      await assert.rejects(stranger.createAccount({ eab: { kid: eab.kid, hmacKey: Buffer.alloc(32, 7).toString('base64url') } }));
      const client = new AcmeClient(t, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
      await client.createAccount({ eab, contact: ['mailto:ops@example.test'] });
      const account = `account:${String(client.accountUrl).split('/').pop()}`;
      await client.signedPost(String(client.accountUrl), { contact: ['mailto:security@example.test'] });
      const issue = () => client.issue({ identifiers: [{ type: 'ip', value: '127.0.0.1' }], challengeType: 'http-01', solver: responder });
      const one = await issue();
      const two = await issue();
      await client.keyChange(await generateAcmeKey());
      await client.revoke(firstPem(one.certificatePem), 4);
      const serialTwo = new X509Certificate(two.certificatePem).serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
      assert.equal((await cli(env, 'cert', 'revoke', serialTwo)).code, 0);
      const token = await cliJson('token', 'create', 'audit-test');
      secrets.push(token.token);
      assert.equal((await adminRequest(t, 'GET', `${node.baseUrl}/admin/status`, undefined, { authorization: `Bearer ${token.token}` })).status, 200);
      assert.equal((await cli(env, 'token', 'revoke', token.id)).code, 0);
      assert.equal((await adminRequest(t, 'GET', `${node.baseUrl}/admin/status`, undefined, { authorization: `Bearer ${token.token}` })).status, 401);
      await client.deactivateAccount();
      t.close();

      const records: AuditRecordJson[] = (await cliJson('audit', 'list', '--limit', '1000')).reverse();
      const find = (action: string, object?: string): AuditRecordJson => {
        const r = records.find((x) => x.action === action && (object === undefined || x.object === object));
        assert.ok(r, `a ${action} record${object === undefined ? '' : ` for ${object}`} in ${JSON.stringify(records.map((x) => `${x.action} ${x.object}`))}`);
        return r;
      };
      const operator = `cli:${userInfo().username}`;
      assert.equal(find('eab.created', `eab:${eab.kid}`).actor, operator);
      assert.equal(find('eab.used', `eab:${eab.kid}`).outcome, 'failure');
      assert.equal(records.filter((r) => r.action === 'eab.used' && r.outcome === 'success').length, 1);
      assert.equal(find('account.created', account).actor, account);
      assert.equal(find('account.updated', account).actor, account);
      const issued = records.filter((r) => r.action === 'certificate.issued');
      assert.equal(issued.length, 2);
      assert.deepEqual((issued[0]?.details as { names: string[] }).names, ['127.0.0.1']);
      assert.equal(records.filter((r) => r.action === 'order.finalized').length, 2);
      assert.equal(find('account.key-changed', account).actor, account);
      const revoked = records.filter((r) => r.action === 'certificate.revoked');
      assert.deepEqual(revoked.map((r) => [r.actor, r.details]), [[account, { reason: 4 }], [operator, { reason: 0 }]]);
      assert.equal(find('certificate.revoked', `certificate:${serialTwo}`).actor, operator);
      assert.equal(find('admin.token-created', `token:${token.id}`).actor, operator);
      assert.deepEqual(records.filter((r) => r.action === 'admin.token-used').map((r) => r.outcome), ['success', 'failure']);
      assert.equal(find('admin.token-revoked', `token:${token.id}`).actor, operator);
      assert.equal(find('account.deactivated', account).actor, account);
      assert.equal(find('node.started').actor, find('node.started').object);
      assert.match(find('lease.acquired', 'lease:scheduler').actor, /^node:/);
      const text = JSON.stringify(records);
      for (const s of secrets) assert.ok(!text.includes(s), 'no secret in any record');
      assert.equal((await cli(env, 'audit', 'verify')).code, 0);
    });

    test('a restart records node.stopped, config.changed naming the section, node.started', async () => {
      await node.stop();
      node = await start({ 'policy.maxValidityDays': '200' });
      const nodeId = readFileSync(join(dataDir, 'server_id'), 'utf8').trim();
      const lifecycle = ['node.stopped', 'config.changed', 'node.started'];
      const records = (await cliJson('audit', 'list', '--node', nodeId) as AuditRecordJson[]).filter((r) => lifecycle.includes(r.action)).slice(0, 3).reverse();
      assert.deepEqual(records.map((r) => r.action), lifecycle);
      assert.deepEqual(records[1]?.details, { sections: ['listen', 'policy'] }, 'the test node listens on a new port, too');
      const verify = await cli(env, 'audit', 'verify');
      assert.equal(verify.code, 0, verify.stdout);
    });

    test('audit.sinks is part of the configuration schema', async () => {
      const file = join(dataDir, 'audit-config.json');
      writeFileSync(file, JSON.stringify({ audit: { sinks: [{ type: 'syslog', address: 'siem.internal:6514', tls: true }, { type: 'webhook', url: 'https://hooks.internal/audit', headers: { authorization: 'Bearer x' } }] } }));
      const config = loadConfig({ file, env: {} });
      assert.equal(config.audit.sinks.length, 2);
      assert.equal(config.audit.batchSize, 100);
      writeFileSync(file, JSON.stringify({ audit: { sinks: [{ type: 'syslog', address: 'no-port' }] } }));
      assert.throws(() => loadConfig({ file, env: {} }), /audit\.sinks\.0\.address: expected host:port/);
    });
  });
}

