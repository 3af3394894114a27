// dns-01 by RFC 2136 dynamic update with TSIG, end to end: Debian's BIND (`named`) is the primary
// of example.test and accepts TXT updates signed with one key; Pebble validates dns-01 against
// that named. A wildcard plus its apex is issued through the CLI; the challenge records are gone
// afterwards; a wrong TSIG secret, given through the admin API, ends in a status that says the
// server rejected the signature, with a backoff rather than a loop of orders. The sealed secret
// inside the certificate's spec is re-wrapped by a KEK rotation like any wrapped column.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { x509 } from '../../src/ca/x509.ts';
import { httpRequest } from '../../src/http-client.ts';
import { kekIdOf, Keyring } from '../../src/kek/envelope.ts';
import { LocalKek } from '../../src/kek/kek.ts';
import { rotateKek } from '../../src/kek/rotate.ts';
import { sendUpdate, type UpdateTarget } from '../../src/lifecycle/dns-update/update.ts';
import { parseManagedInput } from '../../src/lifecycle/managed-input.ts';
import { tsigAad, type ManagedCertificate } from '../../src/lifecycle/types.ts';
import { SqlKekRotationStore } from '../../src/store/kek-store.ts';
import { SqlLifecycleStore } from '../../src/store/lifecycle-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openTwo } from '../support/databases.ts';
import { testCli } from '../support/cli.ts';
import { freePort } from '../support/free-port.ts';
import { startNamed, type NamedServer } from '../support/named.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { startPebble, type PebbleServer } from '../support/pebble.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function managedRow(input: unknown, keyring: Keyring): ManagedCertificate {
  const { name, issuer, spec } = parseManagedInput(input, (secret, n) => keyring.wrap(secret, tsigAad(n)).toString('base64'));
  return {
    name, issuer, spec, currentRevision: 0, renewalSeq: 1, nextRenewalAt: 0, renewalRule: 'new', ari: undefined, ariPollAt: undefined,
    failures: 0, lastOutcome: 'none', lastDetail: '', lastAttemptAt: undefined, pendingOrderUrl: undefined, createdAt: 0, version: 1,
  };
}

test('BIND\'s refusals of an update (BADKEY, BADSIG, BADTIME, REFUSED, NOTZONE) each say what to fix', { timeout: 60_000 }, async () => {
  const named = await startNamed({ zone: 'example.test' });
  try {
    const where = `the DNS server at 127\\.0\\.0\\.1:${named.port}`;
    const good: UpdateTarget = {
      server: { host: named.host, port: named.port }, zone: 'example.test', timeoutMs: 5_000, nowSeconds: () => Math.floor(Date.now() / 1000),
      key: { name: named.keyName, algorithm: 'hmac-sha256', secret: Buffer.from(named.keySecret, 'base64') },
    };
    const add = { action: 'add' as const, name: '_acme-challenge.example.test', value: 'v1', ttl: 60 };
    await sendUpdate(good, [add]);
    assert.deepEqual(await named.txt(add.name), ['v1']);
    await sendUpdate(good, [{ ...add, action: 'delete' }]);
    assert.deepEqual(await named.txt(add.name), []);
    const refused = async (t: UpdateTarget, change: typeof add, pattern: string): Promise<void> => {
      await assert.rejects(sendUpdate(t, [change]), (err: Error) => new RegExp(`^${where} ${pattern}`).test(err.message) || assert.fail(err.message));
    };
    await refused({ ...good, key: { ...good.key, name: 'nobody.' } }, add, `rejected the TSIG key 'nobody\\.' \\(BADKEY\\): check the key name and algorithm`);
    await refused({ ...good, key: { ...good.key, algorithm: 'hmac-sha512' } }, add, `rejected the TSIG key 'certainty\\.' \\(BADKEY\\)`);
    await refused({ ...good, key: { ...good.key, secret: randomBytes(32) } }, add, `rejected the signature of TSIG key 'certainty\\.' \\(BADSIG\\)`);
    await refused({ ...good, nowSeconds: () => Math.floor(Date.now() / 1000) - 3600 }, add, `rejected the time of the TSIG signature .* \\(BADTIME\\): .*synchronize`);
    await refused({ ...good, key: { ...good.key, name: named.deniedKey.name, secret: Buffer.from(named.deniedKey.secret, 'base64') } }, add, `refused the update of _acme-challenge\\.example\\.test in zone example\\.test \\(REFUSED\\): let key 'denied\\.' update TXT`);
    await refused(good, { ...add, name: '_acme-challenge.example.org' }, `says _acme-challenge\\.example\\.org is not in zone example\\.test \\(NOTZONE\\)`);
    assert.deepEqual(await named.txt(add.name), [], 'nothing refused was added');
  } finally {
    await named.stop();
  }
});

for (const dialect of dialects()) {
  test(`kek rotate re-wraps the TSIG secret sealed in a managed certificate's spec (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const old = new Keyring(new LocalKek(randomBytes(32), 'old'));
      const next = new LocalKek(randomBytes(32), 'new');
      const secret = randomBytes(32).toString('base64');
      const store = new SqlLifecycleStore(a);
      const rfc2136 = { server: '127.0.0.1', keyName: 'certainty.', keySecret: secret };
      // Names around the plain one, so a page of one value skips it without ending the walk.
      for (const name of ['dns-a', 'plain', 'dns-b']) {
        const solver = name === 'plain' ? { type: 'http-01' } : { type: 'dns-01', rfc2136 };
        assert.equal(await store.insertManaged(managedRow({ name, issuer: 'up', names: [`${name}.example.test`], solver }, old)), true);
      }
      const totals = await rotateKek(new SqlKekRotationStore(a), old, next, { batchSize: 1 });
      assert.deepEqual(totals.find((t) => t.table === 'managed_certificates'), { table: 'managed_certificates', rewrapped: 2, skipped: 0 });
      for (const name of ['dns-a', 'dns-b']) {
        const cert = await store.managed(name);
        assert.ok(cert?.spec.solver.type === 'dns-01');
        const sealed = Buffer.from(cert.spec.solver.rfc2136.keySecretWrapped, 'base64');
        assert.equal(kekIdOf(sealed), next.id);
        assert.equal(new Keyring(next).unwrap(sealed, tsigAad(name)).toString('base64'), secret);
        assert.deepEqual(cert.spec.names, [`${name}.example.test`], 'the rest of the spec is unchanged');
      }
      assert.deepEqual((await store.managed('plain'))?.spec.solver, { type: 'http-01' });
    } finally {
      await cleanup();
    }
  });

  describe(`dns-01 by RFC 2136 with TSIG against BIND (${dialect})`, { timeout: 300_000 }, () => {
    let named: NamedServer;
    let node: TestNode;
    let pebble: PebbleServer;
    let dir: string;
    let env: Record<string, string>;

    const { cliOk, show } = testCli(() => env);
    const settled = (name: string, timeoutMs: number): Promise<Json> =>
      waitFor(async () => {
        const m = await show(name);
        return m.lastOutcome === 'none' ? undefined : m;
      }, { what: `the first attempt of ${name}`, timeoutMs, intervalMs: 500 });

    before(async () => {
      dir = await makeTempDir('lifecycle-dns01');
      named = await startNamed({ zone: 'example.test' });
      const databaseUrl = await freshDatabaseUrl(dialect);
      node = await startNode({ databaseUrl, set: { 'lifecycle.checkPeriodMs': '1000', 'lifecycle.upstreamTimeoutMs': '5000', 'lifecycle.orderTimeoutMs': '30000' } });
      pebble = await startPebble({ dnsAddress: named.address, http01Port: await freePort(), tlsAlpn01Port: await freePort() });
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
      await cliOk('issuer', 'add', 'pebble', '--directory', pebble.directoryUrl, '--trust', pebble.tlsCaPemPath, '--contact', 'mailto:ops@example.test');
    });
    after(async () => {
      await node?.stop();
      await pebble?.stop();
      await named?.stop();
      if (dir) await removeDir(dir);
    });

    test('a wildcard and its apex are issued through dns-01 by dynamic update; the TXT records are removed after', async () => {
      // The key statement as tsig-keygen prints it: the CLI reads the secret out of it.
      const keyFile = join(dir, 'certainty.key');
      writeFileSync(keyFile, `key "${named.keyName}" {\n\talgorithm ${named.keyAlgorithm};\n\tsecret "${named.keySecret}";\n};\n`, { mode: 0o600 });
      await cliOk('managed', 'add', 'wild', '--issuer', 'pebble', '--name', '*.example.test', '--name', 'example.test',
        '--dns-server', named.address, '--tsig-key-name', named.keyName, '--tsig-secret-file', keyFile);
      const m = await settled('wild', 120_000);
      assert.equal(m.lastOutcome, 'renewed', `${m.status}\n--- named ---\n${await named.logTail(20)}`);
      const sans = new x509.X509Certificate(m.current.certPem).getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value).sort();
      assert.deepEqual(sans, ['*.example.test', 'example.test']);
      // Both authorizations put a value at the same name (zone found by SOA lookup), and both are deleted.
      const log = await named.logTail(200);
      assert.equal(log.match(/key certainty: updating zone 'example\.test\/IN': adding an RR at '_acme-challenge\.example\.test' TXT/g)?.length, 2, log);
      assert.equal(log.match(/key certainty: updating zone 'example\.test\/IN': deleting an RR at _acme-challenge\.example\.test TXT/g)?.length, 2, log);
      assert.deepEqual(await named.txt('_acme-challenge.example.test'), []);
      // Readers see the server and the key name, never the secret (nor its sealed form).
      const text = await cliOk('managed', 'show', 'wild');
      assert.match(text, new RegExp(`dns-01 by RFC 2136 at 127\\.0\\.0\\.1:${named.port}, zone \\(found by SOA\\), TSIG key certainty\\. \\(hmac-sha256\\)`));
      const json = await cliOk('managed', 'show', 'wild', '--json');
      assert.ok(!json.includes(named.keySecret) && !/keySecret/.test(json), 'no TSIG secret in managed show');
    });

    test('a wrong TSIG secret given through the admin API: the status says the server rejected it, and the retry backs off', async () => {
      const admin = JSON.parse(await cliOk('token', 'create', 'ops', '--json'));
      const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
        const res = await httpRequest(node.baseUrl + path, {
          method, ca: node.rootPem, headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, json: JSON.parse(res.body.toString('utf8')) };
      };
      const wrong = Buffer.alloc(32, 9).toString('base64');
      const rfc2136 = { server: named.host, port: named.port, zone: 'example.test', keyName: named.keyName, keySecret: wrong };
      const added = await call('POST', '/admin/managed', { name: 'badkey', issuer: 'pebble', names: ['bad.example.test'], solver: { type: 'dns-01', rfc2136 } });
      assert.equal(added.status, 201, JSON.stringify(added.json));
      assert.ok(!JSON.stringify(added.json).includes(wrong) && !/keySecret/.test(JSON.stringify(added.json)), 'no TSIG secret in the API');
      assert.equal(added.json.spec.solver.rfc2136.keyName, named.keyName);
      const m = await waitFor(async () => {
        const got = (await call('GET', '/admin/managed/badkey')).json;
        return got.lastOutcome === 'failed' ? got : undefined;
      }, { what: 'the failed attempt', timeoutMs: 60_000, intervalMs: 500 });
      assert.match(m.status, new RegExp(`^renewal failed: the DNS server at 127\\.0\\.0\\.1:${named.port} rejected the signature of TSIG key 'certainty\\.' \\(BADSIG\\)`));
      assert.equal(m.renewalRule, 'backoff');
      assert.ok(m.nextRenewalAt - Date.now() > 4 * 60_000, 'a rejected key is a hard failure: minutes before the next try');
      // Nothing is tried again meanwhile: still one failure, one rejected update at the server.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal((await call('GET', '/admin/managed/badkey')).json.failures, 1);
      assert.equal((await named.logTail(400)).match(/TSIG certainty: tsig verify failure \(BADSIG\)/g)?.length, 1);
      assert.equal((await call('DELETE', '/admin/managed/badkey')).status, 200);
    });
  });
}
