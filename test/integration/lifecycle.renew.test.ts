// Managed certificates end to end: issuers and managed certificates added with the CLI, ordered
// from a real upstream (Pebble) with http-01 answered by the Certainty node from the database,
// renewed by the duty before expiry (Pebble issues 20-second certificates), revisions kept up to
// the limit, `managed renew --now`, a local issuer, and an unreachable upstream ending in a clear
// status rather than a silent stop.
import * as assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { x509 } from '../../src/ca/x509.ts';
import { httpRequest } from '../../src/http-client.ts';
import { checkAdminResponse } from '../support/admin-api.ts';
import { testCli } from '../support/cli.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { startPebble, type PebbleServer } from '../support/pebble.ts';
import { freePort } from '../support/free-port.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const dialect of dialects()) {
  describe(`managed certificates from Pebble and the local CA (${dialect})`, { timeout: 240_000 }, () => {
    let dns: TestDns;
    let node: TestNode;
    let pebble: PebbleServer;
    let env: Record<string, string>;

    const { cli, cliOk, show } = testCli(() => env);
    const revisionAtLeast = (name: string, n: number, timeoutMs: number): Promise<Json> =>
      waitFor(async () => {
        const m = await show(name);
        return m.currentRevision >= n ? m : undefined;
      }, { what: `${name} at revision ${n}`, timeoutMs, intervalMs: 500 });

    before(async () => {
      dns = await startTestDns();
      const databaseUrl = await freshDatabaseUrl(dialect);
      const port = await freePort();
      // http-01 comes over plain HTTP: the node listens without TLS, on the port Pebble dials.
      node = await startNode({
        databaseUrl,
        // The issuance policy binds the local issuer as it binds ACME orders (Pebble's names are Pebble's to judge).
        set: { listen: `127.0.0.1:${port}`, 'tls.enabled': 'false', 'policy.allowedDomains': 'lifecycle.test', 'policy.allowedIpRanges': '10.0.0.0/8', 'lifecycle.checkPeriodMs': '1000', 'lifecycle.upstreamTimeoutMs': '5000', 'lifecycle.orderTimeoutMs': '30000' },
      });
      pebble = await startPebble({ dnsAddress: dns.dnsAddress, http01Port: port, tlsAlpn01Port: await freePort(), certificateValidityPeriod: 20 });
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(async () => {
      await node?.stop();
      await pebble?.stop();
      await dns?.stop();
    });

    test('ordered from Pebble with http-01 served by the node, renewed before expiry, revisions kept to the limit', async () => {
      await cliOk('issuer', 'add', 'pebble', '--directory', pebble.directoryUrl, '--trust', pebble.tlsCaPemPath, '--contact', 'mailto:ops@example.test');
      assert.match(await cliOk('issuer', 'show', 'pebble'), /own bundle/);
      await cliOk('managed', 'add', 'web', '--issuer', 'pebble', '--name', 'web.lifecycle.test', '--name', 'www.lifecycle.test', '--renew-when-left', '0.5', '--revisions', '2');
      const first = await revisionAtLeast('web', 1, 30_000);
      assert.equal(first.lastOutcome, 'renewed');
      const leaf = new x509.X509Certificate(first.current.certPem);
      assert.ok(leaf.notAfter.getTime() - leaf.notBefore.getTime() <= 21_000, 'Pebble issued a short certificate');
      assert.match(first.status, /next renewal in .* \(renewal policy/);
      // 20 s certificates renewed when half is left: the duty renews twice within about 25 s.
      const third = await revisionAtLeast('web', 3, 45_000);
      assert.ok(third.current.notAfter > first.current.notAfter);
      const history = JSON.parse(await cliOk('managed', 'history', 'web', '--json')) as Json[];
      // Renewals go on meanwhile: the newest two are kept, whichever they are by now.
      assert.equal(history.length, 2, 'only the last 2 revisions are kept');
      assert.ok(history[0].revision >= third.currentRevision);
      assert.equal(history[1].revision, history[0].revision - 1);
      assert.notEqual(history[0].serial, history[1].serial);
    });

    test('managed renew --now orders at once and is audited', async () => {
      const before = await show('web');
      assert.match(await cliOk('managed', 'renew', 'web', '--now'), /queued/);
      const after = await revisionAtLeast('web', before.currentRevision + 1, 20_000);
      assert.ok(after.currentRevision > before.currentRevision);
      const r = await cli('managed', 'renew', 'web');
      assert.notEqual(r.code, 0, 'renew without --now is refused');
      const records = JSON.parse(await cliOk('audit', 'list', '--action', 'lifecycle.renewal-requested', '--object', 'managed:web', '--json')) as Json[];
      assert.equal(records.length, 1);
      assert.match(records[0].actor, /^cli:/);
      const renewed = JSON.parse(await cliOk('audit', 'list', '--action', 'lifecycle.renewed', '--object', 'managed:web', '--json')) as Json[];
      assert.ok(renewed.length >= after.currentRevision, 'every renewal is audited');
    });

    test('a local issuer issues directly from this CA, and the revision is deployed to its file target', async () => {
      const dir = await makeTempDir('lifecycle-target');
      const targets = join(dir, 'targets.json');
      writeFileSync(targets, JSON.stringify([{ type: 'file', fullchainPath: join(dir, 'fullchain.pem'), keyPath: join(dir, 'key.pem') }]));
      await cliOk('issuer', 'add', 'own', '--kind', 'local');
      await cliOk('managed', 'add', 'internal', '--issuer', 'own', '--name', 'internal.lifecycle.test', '--name', '10.0.0.7', '--key-type', 'ecdsa-p384', '--validity-days', '7', '--targets', targets);
      const m = await revisionAtLeast('internal', 1, 20_000);
      const fullchain = await waitFor(async () => (existsSync(join(dir, 'fullchain.pem')) ? readFileSync(join(dir, 'fullchain.pem'), 'utf8') : undefined), { what: 'the deployed file', timeoutMs: 10_000 });
      assert.ok(fullchain.startsWith(m.current.certPem.trim()));
      assert.equal(statSync(join(dir, 'key.pem')).mode & 0o777, 0o600);
      assert.equal(createPrivateKey(readFileSync(join(dir, 'key.pem'))).asymmetricKeyDetails?.namedCurve, 'secp384r1');
      await removeDir(dir);
      const leaf = new x509.X509Certificate(m.current.certPem);
      assert.equal(leaf.publicKey.algorithm.name, 'ECDSA');
      assert.match(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value).join(',') ?? '', /10\.0\.0\.7/);
      assert.ok(await leaf.verify({ publicKey: new x509.X509Certificate(m.current.chainPem).publicKey, signatureOnly: true }));
    });

    test('a managed certificate removed and added again under its name is ordered and deployed anew', async () => {
      const dir = await makeTempDir('lifecycle-readd');
      const targets = join(dir, 'targets.json');
      writeFileSync(targets, JSON.stringify([{ type: 'file', fullchainPath: join(dir, 'fullchain.pem'), keyPath: join(dir, 'key.pem') }]));
      const add = (): Promise<string> => cliOk('managed', 'add', 'again', '--issuer', 'own', '--name', 'again.lifecycle.test', '--targets', targets);
      await add();
      const first = await revisionAtLeast('again', 1, 20_000);
      await waitFor(async () => existsSync(join(dir, 'fullchain.pem')) || undefined, { what: 'the first deploy', timeoutMs: 10_000 });
      await cliOk('managed', 'remove', 'again');
      for (const f of ['fullchain.pem', 'key.pem']) rmSync(join(dir, f));
      await add();
      // Its first order and deploy are its own jobs, not the removed certificate's finished ones.
      const second = await revisionAtLeast('again', 1, 20_000);
      assert.notEqual(second.current.serial, first.current.serial);
      const deployed = await waitFor(async () => (existsSync(join(dir, 'fullchain.pem')) ? readFileSync(join(dir, 'fullchain.pem'), 'utf8') : undefined), { what: 'the deploy after adding it again', timeoutMs: 10_000 });
      assert.ok(deployed.startsWith(second.current.certPem.trim()));
      await removeDir(dir);
    });

    test('the local issuer refuses a name outside the issuance policy, and says so on the managed certificate', async () => {
      await cliOk('issuer', 'add', 'own-policy', '--kind', 'local');
      await cliOk('managed', 'add', 'outside', '--issuer', 'own-policy', '--name', 'www.example.org');
      const m = await waitFor(async () => {
        const shown = await show('outside');
        return shown.lastOutcome === 'failed' ? shown : undefined;
      }, { what: 'the first attempt of "outside"', timeoutMs: 20_000, intervalMs: 500 });
      assert.equal(m.currentRevision, 0);
      assert.match(JSON.stringify(m), /www\.example\.org/);
      assert.match(String(m.status), /^renewal failed: .*www\.example\.org/);
      await cliOk('managed', 'remove', 'outside');
    });

    test('an exec hook answers dns-01 for a wildcard name', async () => {
      const dir = await makeTempDir('lifecycle-hook');
      const hook = join(dir, 'dns-hook.sh');
      // The hook gets only its CERTAINTY_* environment: the test DNS's address is written into it.
      writeFileSync(hook, `#!/bin/sh\nTEST_DNS_URL=${dns.managementUrl} exec ${process.execPath} ${join(REPO_ROOT, 'test', 'support', 'dns-hook.mjs')} "$1" "$CERTAINTY_RECORD_NAME" "$CERTAINTY_TXT_VALUE"\n`);
      chmodSync(hook, 0o755);
      await cliOk('managed', 'add', 'wild', '--issuer', 'pebble', '--name', '*.wild.lifecycle.test', '--hook', hook, '--challenge', 'dns-01');
      const m = await revisionAtLeast('wild', 1, 30_000);
      assert.match(m.current.certPem, /BEGIN CERTIFICATE/);
      assert.match(await cliOk('managed', 'show', 'wild'), /dns-01 by .*dns-hook\.sh/);
      await cliOk('managed', 'remove', 'wild');
      await removeDir(dir);
    });

    test('an unreachable upstream ends in a clear status with the next try, never a silent stop', async () => {
      await cliOk('issuer', 'add', 'gone', '--directory', `https://127.0.0.1:${await freePort()}/directory`);
      await cliOk('managed', 'add', 'orphan', '--issuer', 'gone', '--name', 'orphan.lifecycle.test');
      const m = await waitFor(async () => {
        const s = await show('orphan');
        return s.lastOutcome === 'failed' ? s : undefined;
      }, { what: 'the failed attempt', timeoutMs: 20_000, intervalMs: 500 });
      assert.match(m.status, /^renewal failed: upstream unreachable \(ECONNREFUSED\).*; next try (in \d|now)/);
      assert.ok(m.failures >= 1);
      assert.equal(m.renewalRule, 'backoff');
      const removed = await cli('issuer', 'remove', 'gone');
      assert.notEqual(removed.code, 0);
      assert.match(removed.stderr, /still issues 1 managed certificate/);
      await cliOk('managed', 'remove', 'orphan');
      await cliOk('issuer', 'remove', 'gone');
    });

    test('the admin API adds, shows, renews and removes; machine tokens are refused', async () => {
      const admin = JSON.parse(await cliOk('token', 'create', 'ops', '--json'));
      const machine = JSON.parse(await cliOk('token', 'create', 'robot', '--role', 'machine', '--json'));
      const call = async (token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
        const res = await httpRequest(node.baseUrl + path, {
          method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = res.body.toString('utf8');
        checkAdminResponse(method, node.baseUrl + path, { status: res.status, headers: res.headers, text });
        return { status: res.status, json: JSON.parse(text) };
      };
      assert.equal((await call(machine.token, 'GET', '/admin/managed')).status, 403);
      assert.equal((await call(admin.token, 'POST', '/admin/issuers', { name: 'api-own', kind: 'local' })).status, 201);
      const added = await call(admin.token, 'POST', '/admin/managed', { name: 'api', issuer: 'api-own', names: ['api.lifecycle.test'], keyType: 'rsa-2048', reuseKey: true });
      assert.equal(added.status, 201, JSON.stringify(added.json));
      const first = await waitFor(async () => {
        const m = (await call(admin.token, 'GET', '/admin/managed/api')).json;
        return m.currentRevision >= 1 ? m : undefined;
      }, { what: 'the API-added certificate', timeoutMs: 20_000, intervalMs: 500 });
      assert.equal((await call(admin.token, 'POST', '/admin/managed/api/renew')).status, 200);
      const second = await waitFor(async () => {
        const m = (await call(admin.token, 'GET', '/admin/managed/api')).json;
        return m.currentRevision > first.currentRevision ? m : undefined;
      }, { what: 'the API renewal', timeoutMs: 20_000, intervalMs: 500 });
      const key = (pem: string): string => new x509.X509Certificate(pem).publicKey.toString('base64');
      assert.equal(key(second.current.certPem), key(first.current.certPem), 'reuseKey keeps the key');
      assert.notEqual(second.current.serial, first.current.serial);
      const history = (await call(admin.token, 'GET', '/admin/managed/api/history')).json as Json[];
      assert.equal(history[0].rule, 'operator');
      assert.ok(!JSON.stringify(history).includes('PRIVATE KEY'), 'no key material in the API');
      const bad = await call(admin.token, 'POST', '/admin/managed', { name: 'x', issuer: 'api-own', names: ['x.test'], keyType: 'dsa' });
      assert.equal(bad.status, 400);
      assert.match(bad.json.detail, /keyType/);
      assert.equal((await call(admin.token, 'DELETE', '/admin/managed/api')).status, 200);
      assert.equal((await call(admin.token, 'GET', '/admin/managed/api')).status, 404);
    });

    test('bad input is refused with what to fix', async () => {
      const wild = await cli('managed', 'add', 'w', '--issuer', 'pebble', '--name', '*.lifecycle.test');
      assert.match(wild.stderr, /wildcard names need dns-01/);
      const noIssuer = await cli('managed', 'add', 'x', '--issuer', 'nope', '--name', 'x.lifecycle.test');
      assert.match(noIssuer.stderr, /no issuer nope/);
      const eab = await cli('issuer', 'add', 'half', '--directory', pebble.directoryUrl, '--eab-kid', 'k');
      assert.match(eab.stderr, /EAB needs both/);
    });
  });
}
