// The admin API on its own listener (admin.listen) with client certificates from this CA: the ACME
// port answers 404 for /admin and /metrics, the admin port serves them only over mTLS.
import * as assert from 'node:assert/strict';
import { KeyObject, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { freePort } from '../support/free-port.ts';
import { run } from '../support/run.ts';

interface Answer { status: number; body: string }

/** One GET over HTTPS trusting the node's root, with an optional client certificate; rejects on a TLS refusal. */
function get(url: string, ca: string, o: { token?: string; cert?: string; key?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = o.token === undefined ? {} : { authorization: `Bearer ${o.token}` };
    const req = request(url, { ca, headers, ...(o.cert === undefined ? {} : { cert: o.cert, key: o.key }), timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })).on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('admin listener with mTLS (sqlite)', { timeout: 180_000 }, () => {
  let acme: AcmeNode;
  let adminUrl: string;
  let token: string;
  let client: { cert: string; key: string };
  let acmeClient: Awaited<ReturnType<AcmeNode['newClient']>>;

  before(async () => {
    const port = await freePort();
    acme = await startAcmeNode('sqlite', { set: { 'admin.listen': `127.0.0.1:${port}`, 'admin.clientAuth': 'require' } });
    adminUrl = acme.node.adminUrl;
    const out = await run(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'token', 'create', 'ops', '--json'], { env: { CERTAINTY_DATA_DIR: acme.node.dataDir }, timeoutMs: 30_000 });
    token = JSON.parse(out.stdout).token;
    // A certificate from this CA (its leaves carry the clientAuth key usage) is the client's.
    acmeClient = await acme.newClient();
    acme.dns.set('ops-laptop.example.test', { A: ['127.0.0.1'] });
    const issued = await acmeClient.issue({ identifiers: ['ops-laptop.example.test'], challengeType: 'http-01', solver: acme.responder });
    client = { cert: issued.certificatePem, key: KeyObject.from(issued.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string };
  });
  after(() => acme?.stop());

  test('the node reports the admin listener, and the ACME listener answers 404 for /admin and /metrics', async () => {
    assert.equal(adminUrl, `https://${acme.node.config.admin.listen as string}`);
    assert.notEqual(adminUrl, acme.node.baseUrl);
    const ca = acme.node.rootPem;
    const status = await get(`${acme.node.baseUrl}/admin/status`, ca, { token });
    assert.equal(status.status, 404);
    assert.match(JSON.parse(status.body).detail, /Nothing at \/admin\/status on this listener/);
    assert.equal((await get(`${acme.node.baseUrl}/metrics`, ca, { token })).status, 404);
    assert.equal((await get(`${acme.node.baseUrl}/directory`, ca)).status, 200);
  });

  test('without a client certificate the admin listener refuses the TLS handshake', async () => {
    await assert.rejects(get(`${adminUrl}/admin/status`, acme.node.rootPem, { token }), (e: NodeJS.ErrnoException) => /CERTIFICATE_REQUIRED|ECONNRESET|socket hang up|alert/i.test(`${e.code ?? ''} ${e.message}`));
  });

  test('with a client certificate from this CA: admin and metrics are served, ACME is not, a token is still needed', async () => {
    const ca = acme.node.rootPem;
    const ok = await get(`${adminUrl}/admin/status`, ca, { token, ...client });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(typeof JSON.parse(ok.body).counts.accounts, 'number');
    assert.equal((await get(`${adminUrl}/metrics`, ca, { token, ...client })).status, 200);
    assert.equal((await get(`${adminUrl}/admin/status`, ca, client)).status, 401);
    assert.equal((await get(`${adminUrl}/directory`, ca, client)).status, 404);
    assert.equal((await get(`${adminUrl}/livez`, ca, client)).status, 200);
  });

  test('curl with the client certificate reaches the admin API', async () => {
    const dir = acme.node.dataDir;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'client.pem'), client.cert);
    writeFileSync(join(dir, 'client.key'), client.key, { mode: 0o600 });
    writeFileSync(join(dir, 'trust.pem'), acme.node.rootPem);
    const args = ['-sS', '--max-time', '10', '--cacert', join(dir, 'trust.pem'), '-H', `Authorization: Bearer ${token}`, '-o', '/dev/null', '-w', '%{http_code}'];
    const withCert = await run('curl', [...args, '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key'), `${adminUrl}/admin/ca`], { timeoutMs: 20_000 });
    assert.equal(withCert.stdout, '200');
  });

  test('a client certificate this CA revoked is refused, with a problem saying so', async () => {
    await acmeClient.revoke(new X509Certificate(client.cert).raw, 0);
    const res = await get(`${adminUrl}/admin/status`, acme.node.rootPem, { token, ...client });
    assert.equal(res.status, 403, res.body);
    assert.match(JSON.parse(res.body).detail, /client certificate was revoked by this CA/);
  });
});

describe('admin listener with optional client certificates (sqlite)', { timeout: 120_000 }, () => {
  let acme: AcmeNode;
  let token: string;

  before(async () => {
    acme = await startAcmeNode('sqlite', { set: { 'admin.listen': `127.0.0.1:${await freePort()}`, 'admin.clientAuth': 'optional' } });
    const out = await run(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'token', 'create', 'ops', '--json'], { env: { CERTAINTY_DATA_DIR: acme.node.dataDir }, timeoutMs: 30_000 });
    token = JSON.parse(out.stdout).token;
  });
  after(() => acme?.stop());

  test('no certificate is served; a certificate from another CA is refused with a problem saying why', async () => {
    const ca = acme.node.rootPem;
    assert.equal((await get(`${acme.node.adminUrl}/admin/status`, ca, { token })).status, 200);
    const dir = acme.node.dataDir;
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'other.key'), '-out', join(dir, 'other.pem'), '-subj', '/CN=not-ours', '-days', '1']);
    const { readFileSync } = await import('node:fs');
    const foreign = await get(`${acme.node.adminUrl}/admin/status`, ca, { token, cert: readFileSync(join(dir, 'other.pem'), 'utf8'), key: readFileSync(join(dir, 'other.key'), 'utf8') });
    assert.equal(foreign.status, 403);
    assert.match(JSON.parse(foreign.body).detail, /takes client certificates issued by this CA only: the client certificate was refused \(\w+/);
  });
});
