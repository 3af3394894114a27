// Protocol hardening against a real node on every dialect: the account key cannot be
// smuggled into a CSR in another encoding, notBefore cannot backdate, a foreign Host header is
// never reflected, and the RFC details of keyChange, account keys and "crit".
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import { AcmeClient, createCsr, generateAcmeKey, type AcmeKey, type AcmeResponse, type AcmeTransport } from '../../src/acme-client/client.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { dialects, type TestNode } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const P = 'urn:ietf:params:acme:error:';

function assertProblem(res: AcmeResponse, type: string, status: number, detail?: RegExp): void {
  assert.equal(res.body?.type, `${P}${type}`, `expected ${type}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.status, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  if (detail) assert.match(String(res.body.detail), detail);
}

/** A GET with a chosen Host header and request target; TLS identity is not what is tested here. */
function rawGet(node: TestNode, host: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const { hostname, port } = new URL(node.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ hostname, port, path, method: 'GET', headers: { host }, ca: node.rootPem, checkServerIdentity: () => undefined, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('error', reject)
        .on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject).end();
  });
}

for (const dialect of dialects()) {
  describe(`ACME hardening (${dialect})`, { timeout: 180_000 }, () => {
    let acme: AcmeNode;
    let node: TestNode;
    let dns: TestDnsServer;
    let responder: Http01Responder;
    let t: AcmeTransport;
    let client: AcmeClient;
    let dir: string;

    before(async () => {
      dir = await makeTempDir('hardening');
      acme = await startAcmeNode(dialect, {
        set: {
          'validation.timeoutMs': '3000',
          // Two hours: wider than the intermediate's one hour of backdating, so both bounds can be hit.
          'policy.maxBackdateSeconds': '7200', 'tls.names': 'localhost,127.0.0.1,::1,*.acme.test',
        },
      });
      ({ node, dns, responder, transport: t } = acme);
      client = await acme.newClient();
    });
    after(async () => {
      await acme?.stop();
      await removeDir(dir);
    });

    /** A new order (with extra payload fields) whose http-01 challenges are answered, polled to ready. */
    async function readyOrder(name: string, extra: Record<string, unknown> = {}): Promise<{ url: string; finalize: string }> {
      dns.set(name, { A: ['127.0.0.1'] });
      const url = await t.url('newOrder');
      const res = await t.post(url, await t.signJws({ url, key: client.key, kid: client.accountUrl as string, payload: { identifiers: [{ type: 'dns', value: name }], ...extra } }));
      assert.equal(res.status, 201, res.text);
      const authz = await client.getAuthorization(res.body.authorizations[0] as string);
      const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
      await responder.present('http-01', authz.identifier, ch.token, await client.keyAuthorization(ch.token));
      await client.respondChallenge(ch.url);
      const order = await client.poll(String(res.headers.location), ['ready']);
      return { url: String(res.headers.location), finalize: order.finalize };
    }

    async function newOrderWith(extra: Record<string, unknown>): Promise<AcmeResponse> {
      const url = await t.url('newOrder');
      return t.post(url, await t.signJws({ url, key: client.key, kid: client.accountUrl as string, payload: { identifiers: [{ type: 'dns', value: 'nb.test' }], ...extra } }));
    }

    test('a CSR carrying the account key in compressed EC form is badCSR', async () => {
      const order = await readyOrder('compressed.test');
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', client.key.privateKey));
      const keyPath = join(dir, `account-${dialect}.pem`);
      writeFileSync(keyPath, `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`, { mode: 0o600 });
      const compressed = execFileSync('openssl', ['ec', '-in', keyPath, '-conv_form', 'compressed'], { stdio: ['ignore', 'pipe', 'ignore'] });
      writeFileSync(keyPath, compressed);
      const der = execFileSync('openssl', ['req', '-new', '-key', keyPath, '-subj', '/CN=compressed.test', '-addext', 'subjectAltName=DNS:compressed.test', '-outform', 'DER']);
      // The CSR really carries the compressed point (0x02/0x03 prefix), not the JWK's encoding.
      const spki = execFileSync('openssl', ['req', '-inform', 'DER', '-noout', '-pubkey'], { input: der }).toString();
      const point = Buffer.from(spki.replace(/-----[^-]+-----|\s/g, ''), 'base64').subarray(-33);
      assert.ok(point[0] === 2 || point[0] === 3, 'the CSR key is in compressed form');
      const res = await client.transport.post(order.finalize, await t.signJws({ url: order.finalize, key: client.key, kid: client.accountUrl as string, payload: { csr: der.toString('base64url') } }));
      assertProblem(res, 'badCSR', 400, /account key/);
    });

    test('notBefore further back than policy.maxBackdateSeconds is malformed (a 2019 certificate)', async () => {
      assertProblem(await newOrderWith({ notBefore: '2019-01-01T00:00:00Z' }), 'malformed', 400, /in the past/);
      assertProblem(await newOrderWith({ notBefore: new Date(Date.now() - 3 * 3_600_000).toISOString() }), 'malformed', 400, /at most 7200 s/);
    });

    test("notBefore before the issuing CA's own notBefore is malformed", async () => {
      const intermediate = new X509Certificate((await t.request('GET', `${node.baseUrl}/ca/intermediate.pem`)).text);
      const justBefore = new Date(Date.parse(intermediate.validFrom) - 60_000).toISOString();
      assertProblem(await newOrderWith({ notBefore: justBefore }), 'malformed', 400, /issuing CA/);
    });

    test('a notBefore within the allowance is issued as asked', async () => {
      const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 120_000);
      const order = await readyOrder('backdate-ok.test', { notBefore: notBefore.toISOString() });
      const { der } = await createCsr([{ type: 'dns', value: 'backdate-ok.test' }]);
      const fin = await client.signedPost(order.finalize, { csr: Buffer.from(der).toString('base64url') });
      assert.ok(fin.status < 400, fin.text);
      const done = await client.poll(order.url, ['valid']);
      const leaf = new X509Certificate(await client.downloadCertificate(done.certificate));
      assert.equal(Date.parse(leaf.validFrom), notBefore.getTime());
    });

    test('a foreign Host header is answered 421 and reflected nowhere', async () => {
      for (const path of ['/directory', '/acme/new-nonce', '/ca/root.pem', '/nothing']) {
        const res = await rawGet(node, 'evil.example', path);
        assert.equal(res.status, 421, `${path}: ${res.text}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.equal(JSON.parse(res.text).type, `${P}malformed`);
        assert.doesNotMatch(JSON.stringify(res.headers) + res.text, /evil\.example/);
      }
      const withUserinfo = await rawGet(node, 'evil.example@127.0.0.1', '/directory');
      assert.equal(withUserinfo.status, 421);
    });

    test('an absolute-form request target cannot put its host into URLs', async () => {
      const res = await rawGet(node, new URL(node.baseUrl).host, 'https://evil.example/directory');
      assert.equal(res.status, 200, res.text);
      assert.doesNotMatch(res.text + JSON.stringify(res.headers), /evil\.example/);
    });

    test('hosts the listener serves work: tls.names (wildcards too) and the listen address', async () => {
      const { port } = new URL(node.baseUrl);
      for (const host of [`localhost:${port}`, `a.acme.test:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        const res = await rawGet(node, host, '/directory');
        assert.equal(res.status, 200, `${host}: ${res.text}`);
        assert.equal(JSON.parse(res.text).newNonce, `https://${host}/acme/new-nonce`);
      }
      assert.equal((await rawGet(node, `b.a.acme.test:${port}`, '/directory')).status, 421);
    });

    test('health endpoints answer whatever the Host (load balancer probes)', async () => {
      for (const path of ['/livez', '/readyz', '/healthz']) assert.equal((await rawGet(node, '10.9.8.7:8443', path)).status, 200, path);
    });

    test('keyChange with a nonce in the inner JWS is malformed (RFC 8555 §7.3.5)', async () => {
      const c = new AcmeClient(t);
      await c.createAccount();
      const url = await t.url('keyChange');
      const newKey = await generateAcmeKey('ES256');
      const inner = await t.signJws({ url, key: newKey, payload: { account: c.accountUrl, oldKey: c.key.jwk } });
      const res = await t.post(url, await t.signJws({ url, key: c.key, kid: c.accountUrl as string, payload: inner }));
      assertProblem(res, 'malformed', 400, /nonce/);
      await c.keyChange(newKey);
      assert.equal((await c.signedPost(c.accountUrl as string, '')).status, 200);
    });

    test('an RSA account key with public exponent 3 is badPublicKey', async () => {
      const url = await t.url('newAccount');
      for (const [publicExponent, status] of [[3, 400], [65537, 201]] as const) {
        const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent });
        const key: AcmeKey = {
          privateKey: await webcrypto.subtle.importKey('pkcs8', pair.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']),
          publicKey: await webcrypto.subtle.importKey('spki', pair.publicKey.export({ type: 'spki', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']),
          jwk: await exportJWK(pair.publicKey),
          alg: 'RS256',
        };
        const res = await t.post(url, await t.signJws({ url, key, payload: { termsOfServiceAgreed: true } }));
        if (status === 400) assertProblem(res, 'badPublicKey', 400, /65537/);
        else assert.equal(res.status, status, res.text);
      }
    });

    test('an unknown "crit" header is malformed, not badSignatureAlgorithm', async () => {
      const url = await t.url('newOrder');
      const jws = await t.signJws({ url, key: client.key, kid: client.accountUrl as string, payload: { identifiers: [{ type: 'dns', value: 'crit.test' }] }, protectedOverrides: { crit: ['exp'], exp: 1 } });
      assertProblem(await t.post(url, jws), 'malformed', 400, /crit/);
    });
  });
}
