// The ACME protocol against a real node, on every dialect: bad input of every kind named in
// RFC 8555 gets the right problem document, and the flows clients rely on work.
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { webcrypto } from 'node:crypto';
import { base64url } from 'jose';
import { AcmeClient, type AcmeError, type AcmeTransport, createCsr, generateAcmeKey, type AcmeResponse } from '../../src/acme-client/client.ts';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { dialects, type TestNode } from '../support/node.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';

const P = 'urn:ietf:params:acme:error:';

function assertProblem(res: AcmeResponse, type: string, status?: number): void {
  assert.equal(res.body?.type, `${P}${type}`, `expected ${type}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  if (status !== undefined) assert.equal(res.status, status);
  assert.equal(typeof res.body.detail, 'string');
  assert.ok(res.body.detail.length > 0);
  assert.ok(res.headers['replay-nonce'], 'every ACME response carries a Replay-Nonce');
}

for (const dialect of dialects()) {
  describe(`ACME protocol (${dialect})`, { timeout: 180_000 }, () => {
    let acme: AcmeNode;
    let node: TestNode;
    let dns: TestDnsServer;
    let responder: Http01Responder;
    let t: AcmeTransport;
    let client: AcmeClient;

    before(async () => {
      acme = await startAcmeNode(dialect, {
        set: {
          'validation.timeoutMs': '3000',
          'acme.maxBodyBytes': '20000', 'rateLimits.ordersPerAccount': '{"limit":25,"windowSeconds":3600}', 'policy.allowWildcards': 'true',
        },
      });
      ({ node, dns, responder, transport: t } = acme);
      client = await acme.newClient({ contact: ['mailto:ops@example.test'] });
    });
    after(() => acme?.stop());

    const resolve = (name: string): void => dns.set(name, { A: ['127.0.0.1'] });

    test('directory lists every resource and meta', async () => {
      const d = await t.getDirectory();
      for (const k of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange', 'renewalInfo']) assert.match(String(d[k]), /^https:\/\//);
      assert.equal(d.meta.externalAccountRequired, false);
    });

    test('newNonce answers HEAD 200 and GET 204 with a fresh nonce each', async () => {
      const url = await t.url('newNonce');
      const head = await t.request('HEAD', url);
      const get = await t.request('GET', url);
      assert.equal(head.status, 200);
      assert.equal(get.status, 204);
      assert.notEqual(head.headers['replay-nonce'], get.headers['replay-nonce']);
      assert.equal(get.headers['cache-control'], 'no-store');
    });

    test('wrong content type is rejected with 415', async () => {
      const res = await t.post(await t.url('newAccount'), '{}', { contentType: 'application/json' });
      assertProblem(res, 'malformed', 415);
    });

    test('oversized body is rejected with 413', async () => {
      const res = await t.post(await t.url('newAccount'), 'x'.repeat(30_000));
      assertProblem(res, 'malformed', 413);
    });

    test('non-JSON body and general JWS serialisation are malformed', async () => {
      assertProblem(await t.post(await t.url('newAccount'), 'not json'), 'malformed', 400);
      assertProblem(await t.post(await t.url('newAccount'), { payload: '', signatures: [] }), 'malformed', 400);
      assertProblem(await t.post(await t.url('newAccount'), { protected: 'e30', payload: '', signature: '', header: {} }), 'malformed', 400);
    });

    test('unsupported alg is badSignatureAlgorithm', async () => {
      const url = await t.url('newAccount');
      for (const alg of ['none', 'HS256']) {
        const jws = await t.signJws({ url, payload: {}, key: client.key, protectedOverrides: { alg } });
        assertProblem(await t.post(url, jws), 'badSignatureAlgorithm', 400);
      }
    });

    test('a bad signature is rejected', async () => {
      const url = await t.url('newAccount');
      const jws = await t.signJws({ url, payload: { termsOfServiceAgreed: true }, key: client.key });
      const sig = Buffer.from(jws.signature, 'base64url');
      sig[5] = (sig[5] ?? 0) ^ 0xff;
      assertProblem(await t.post(url, { ...jws, signature: sig.toString('base64url') }), 'malformed', 400);
    });

    test('jwk and kid misuse is malformed', async () => {
      const newAccount = await t.url('newAccount');
      const both = await t.signJws({ url: newAccount, payload: {}, key: client.key, protectedOverrides: { kid: client.accountUrl } });
      assertProblem(await t.post(newAccount, both), 'malformed');
      const kidOnNewAccount = await t.signJws({ url: newAccount, payload: {}, key: client.key, kid: client.accountUrl as string });
      assertProblem(await t.post(newAccount, kidOnNewAccount), 'malformed');
      const newOrder = await t.url('newOrder');
      const jwkOnNewOrder = await t.signJws({ url: newOrder, payload: { identifiers: [{ type: 'dns', value: 'a.test' }] }, key: client.key });
      assertProblem(await t.post(newOrder, jwkOnNewOrder), 'malformed');
    });

    test('a JWS url that is not the request URL is unauthorized', async () => {
      const newOrder = await t.url('newOrder');
      const jws = await t.signJws({ url: `${newOrder}x`, payload: {}, key: client.key, kid: client.accountUrl as string });
      assertProblem(await t.post(newOrder, jws), 'unauthorized', 403);
    });

    test('missing, unknown and replayed nonces are badNonce with a fresh nonce', async () => {
      const url = await t.url('newOrder');
      const payload = { identifiers: [{ type: 'dns', value: 'nonce.test' }] };
      const kid = client.accountUrl as string;
      const missing = await t.signJws({ url, payload, key: client.key, kid, protectedOverrides: { nonce: undefined } });
      assertProblem(await t.post(url, missing), 'badNonce', 400);
      const forged = await t.signJws({ url, payload, key: client.key, kid, nonce: base64url.encode(Buffer.alloc(32, 7)) });
      assertProblem(await t.post(url, forged), 'badNonce', 400);
      const nonce = await t.newNonce();
      const first = await t.post(url, await t.signJws({ url, payload, key: client.key, kid, nonce }));
      assert.equal(first.status, 201);
      const replay = await t.post(url, await t.signJws({ url, payload, key: client.key, kid, nonce }));
      assertProblem(replay, 'badNonce', 400);
      assert.notEqual(replay.headers['replay-nonce'], nonce);
    });

    test('an unknown account is accountDoesNotExist', async () => {
      const url = await t.url('newOrder');
      const stranger = await generateAcmeKey();
      const jws = await t.signJws({ url, payload: {}, key: stranger, kid: `${client.accountUrl as string}zz` });
      assertProblem(await t.post(url, jws), 'accountDoesNotExist');
      const other = new AcmeClient(t, stranger);
      await assert.rejects(other.createAccount({ onlyReturnExisting: true }), (e: AcmeError) => e.type === `${P}accountDoesNotExist`);
    });

    test('contacts must be valid mailto: URLs', async () => {
      const url = await t.url('newAccount');
      const key = await generateAcmeKey();
      const bad = async (contact: unknown, type: string): Promise<void> => {
        assertProblem(await t.post(url, await t.signJws({ url, payload: { termsOfServiceAgreed: true, contact }, key })), type);
      };
      await bad(['tel:+123'], 'unsupportedContact');
      await bad(['mailto:not-an-address'], 'invalidContact');
      await bad(['mailto:a@b.test?subject=x'], 'invalidContact');
    });

    test('identifiers: unsupported type, bad syntax, empty list; subproblems per identifier', async () => {
      const url = await t.url('newOrder');
      const kid = client.accountUrl as string;
      const order = async (identifiers: unknown): Promise<AcmeResponse> => t.post(url, await t.signJws({ url, payload: { identifiers }, key: client.key, kid }));
      assertProblem(await order([{ type: 'email', value: 'a@b.test' }]), 'unsupportedIdentifier');
      assertProblem(await order([{ type: 'dns', value: 'bad_name!.test' }]), 'rejectedIdentifier');
      assertProblem(await order([{ type: 'dns', value: 'a.*.test' }]), 'rejectedIdentifier');
      assertProblem(await order([{ type: 'ip', value: '300.1.1.1' }]), 'malformed');
      assertProblem(await order([]), 'malformed');
      const two = await order([{ type: 'dns', value: 'ok.test' }, { type: 'dns', value: '-bad.test' }, { type: 'dns', value: 'bad-.test' }]);
      assertProblem(two, 'rejectedIdentifier');
      assert.equal(two.body.subproblems.length, 2);
      assert.deepEqual(two.body.subproblems.map((s: { identifier: { value: string } }) => s.identifier.value), ['-bad.test', 'bad-.test']);
    });

    test('a GET on a POST-only resource is 405 and names POST-as-GET', async () => {
      const res = await t.request('GET', await t.url('newOrder'));
      assertProblem(res, 'malformed', 405);
      assert.match(res.body.detail, /POST-as-GET/);
    });

    test('an unknown URL is 404 with a problem document', async () => {
      const res = await t.request('GET', node.baseUrl + '/acme/nothing-here');
      assert.equal(res.status, 404);
      assert.match(String(res.headers['content-type']), /problem\+json/);
    });

    test('issuance with http-01, then finalize errors, ARI and replaces', async () => {
      resolve('www.issue.test');
      resolve('api.issue.test');
      const names = ['www.issue.test', 'api.issue.test'];
      const early = await client.newOrder(names);
      const { der } = await createCsr(early.identifiers);
      await assert.rejects(client.finalize(early, der), (e: AcmeError) => e.type === `${P}orderNotReady`);
      const issued = await client.issue({ identifiers: names, challengeType: 'http-01', solver: responder });
      assert.match(issued.certificatePem, /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/);
      assert.equal(issued.order.status, 'valid');
      // ARI: the certificate's renewal info has a window inside its validity.
      const { X509Certificate } = await import('node:crypto');
      const leaf = new X509Certificate(issued.certificatePem);
      const orderBody = (await client.signedPost(issued.order.url, '')).body;
      assert.equal(orderBody.status, 'valid');
      const certId = await ariIdOf(issued.certificatePem);
      const ri = await t.request('GET', `${await t.url('renewalInfo')}/${certId}`);
      assert.equal(ri.status, 200, ri.text);
      const start = Date.parse(ri.body.suggestedWindow.start);
      const end = Date.parse(ri.body.suggestedWindow.end);
      assert.ok(start < end && end < Date.parse(leaf.validTo), 'window ends before expiry');
      assert.ok(Number(ri.headers['retry-after']) > 0);
      // replaces: the first replacement order is accepted, a second one is alreadyReplaced.
      const url = await t.url('newOrder');
      const kid = client.accountUrl as string;
      const replacing = await t.post(url, await t.signJws({ url, payload: { identifiers: issued.order.identifiers, replaces: certId }, key: client.key, kid }));
      assert.equal(replacing.status, 201, replacing.text);
      assert.equal(replacing.body.replaces, certId);
      const again = await client.issue({ identifiers: names, challengeType: 'http-01', solver: responder });
      assert.equal(again.order.status, 'valid');
      const replacingOrder = { ...replacing.body, url: String(replacing.headers.location) };
      for (const a of replacingOrder.authorizations as string[]) {
        const authz = await client.getAuthorization(a);
        const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
        await responder.present('http-01', authz.identifier, ch.token, await client.keyAuthorization(ch.token));
        await client.respondChallenge(ch.url);
        await client.poll(a, ['valid']);
      }
      const csr2 = await createCsr(issued.order.identifiers);
      const fin = await client.finalize(replacingOrder, csr2.der);
      assert.equal(fin.status, 'valid');
      const third = await t.post(url, await t.signJws({ url, payload: { identifiers: issued.order.identifiers, replaces: certId }, key: client.key, kid }));
      assertProblem(third, 'alreadyReplaced', 409);
    });

    test('finalize rejects CSRs that do not match, reuse the account key, or are garbage', async () => {
      resolve('csr.test');
      const order = await client.newOrder(['csr.test']);
      const authz = await client.getAuthorization(order.authorizations[0] as string);
      const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
      await responder.present('http-01', authz.identifier, ch.token, await client.keyAuthorization(ch.token));
      await client.respondChallenge(ch.url);
      await client.poll(order.url, ['ready']);
      const wrong = await createCsr([{ type: 'dns', value: 'other.test' }]);
      await assert.rejects(client.finalize(order, wrong.der), (e: AcmeError) => e.type === `${P}badCSR` && /other\.test/.test(e.problem?.detail ?? ''));
      const accountKeyCsr = await createCsr([{ type: 'dns', value: 'csr.test' }], { privateKey: client.key.privateKey, publicKey: client.key.publicKey });
      await assert.rejects(client.finalize(order, accountKeyCsr.der), (e: AcmeError) => e.type === `${P}badCSR` && /account key/.test(e.problem?.detail ?? ''));
      await assert.rejects(client.finalize(order, new Uint8Array([48, 3, 2, 1, 0])), (e: AcmeError) => e.type === `${P}badCSR`);
      const weak = await globalThis.crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
      const weakCsr = await createCsr([{ type: 'dns', value: 'csr.test' }], weak as webcrypto.CryptoKeyPair);
      await assert.rejects(client.finalize(order, weakCsr.der), (e: AcmeError) => e.type === `${P}badPublicKey`);
      const ok = await createCsr([{ type: 'dns', value: 'csr.test' }]);
      assert.equal((await client.finalize(order, ok.der)).status, 'valid');
      await assert.rejects(client.finalize(order, ok.der), (e: AcmeError) => e.type === `${P}orderNotReady`);
    });

    test('a failed validation makes the challenge, authorization and order invalid', async () => {
      resolve('fail.test');
      const order = await client.newOrder(['fail.test']);
      const authz = await client.getAuthorization(order.authorizations[0] as string);
      const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
      await client.respondChallenge(ch.url);
      await assert.rejects(client.poll(order.authorizations[0] as string, ['valid']), (e: AcmeError) => e.type === `${P}unauthorized`);
      const o = (await client.signedPost(order.url, '')).body;
      assert.equal(o.status, 'invalid');
      assert.equal(o.error.subproblems[0].identifier.value, 'fail.test');
    });

    test('wildcards are offered dns-01 only; IP identifiers no dns-01', async () => {
      const w = await client.newOrder(['*.wild.test']);
      const wa = await client.getAuthorization(w.authorizations[0] as string);
      assert.equal(wa.wildcard, true);
      assert.equal(wa.identifier.value, 'wild.test');
      assert.deepEqual(wa.challenges.map((c: { type: string }) => c.type), ['dns-01']);
      const ip = await client.newOrder([{ type: 'ip', value: '127.0.0.1' }]);
      const ia = await client.getAuthorization(ip.authorizations[0] as string);
      assert.deepEqual(ia.challenges.map((c: { type: string }) => c.type).sort(), ['http-01', 'tls-alpn-01']);
    });

    test('an IP address certificate (RFC 8738) with http-01, chained to the root', async () => {
      const issued = await client.issue({ identifiers: [{ type: 'ip', value: '127.0.0.1' }], challengeType: 'http-01', solver: responder });
      const { X509Certificate } = await import('node:crypto');
      const leaf = new X509Certificate(issued.certificatePem);
      assert.equal(leaf.subjectAltName, 'IP Address:127.0.0.1');
      assert.ok(!leaf.subject, 'an IP-only certificate has an empty subject (the SAN is critical)');
      const [, intermediate] = issued.certificatePem.split(/(?=-----BEGIN CERTIFICATE-----)/);
      assert.ok(leaf.verify(new X509Certificate(intermediate as string).publicKey));
      assert.ok(new X509Certificate(intermediate as string).verify(new X509Certificate(node.rootPem).publicKey));
    });

    test('authorization deactivation invalidates its order', async () => {
      const order = await client.newOrder(['deact.test']);
      const res = await client.signedPost(order.authorizations[0] as string, { status: 'deactivated' });
      assert.equal(res.body.status, 'deactivated');
      assert.equal((await client.signedPost(order.url, '')).body.status, 'invalid');
    });

    test('revocation: reasons, already revoked, by certificate key, unauthorized account', async () => {
      resolve('rev.test');
      const issued = await client.issue({ identifiers: ['rev.test'], challengeType: 'http-01', solver: responder });
      const der = derOf(issued.certificatePem);
      await assert.rejects(client.revoke(der, 7), (e: AcmeError) => e.type === `${P}badRevocationReason`);
      const stranger = new AcmeClient(t);
      await stranger.createAccount();
      await assert.rejects(stranger.revoke(der, 1), (e: AcmeError) => e.type === `${P}unauthorized`);
      await client.revoke(der, 1);
      await assert.rejects(client.revoke(der, 1), (e: AcmeError) => e.type === `${P}alreadyRevoked`);
      const second = await client.issue({ identifiers: ['rev.test'], challengeType: 'http-01', solver: responder });
      const certKey = await keyOf(second.keys);
      await stranger.revoke(derOf(second.certificatePem), 4, certKey);
    });

    test('orders list, key change and deactivation', async () => {
      const c = new AcmeClient(t);
      await c.createAccount();
      await c.newOrder(['list1.test']);
      await c.newOrder(['list2.test']);
      const acct = (await c.signedPost(c.accountUrl as string, '')).body;
      const list = (await c.signedPost(acct.orders, '')).body;
      assert.equal(list.orders.length, 2);
      const newKey = await generateAcmeKey('ES384');
      await c.keyChange(newKey);
      assert.equal((await c.signedPost(c.accountUrl as string, '')).status, 200);
      const url = await t.url('keyChange');
      const inner = await t.signJws({ url, key: client.key, payload: { account: c.accountUrl, oldKey: c.key.jwk }, protectedOverrides: { nonce: undefined } });
      const conflict = await t.post(url, await t.signJws({ url, key: c.key, kid: c.accountUrl as string, payload: inner }));
      assert.equal(conflict.status, 409);
      assert.equal(conflict.headers.location, client.accountUrl);
      await c.deactivateAccount();
      await assert.rejects(c.newOrder(['after.test']), (e: AcmeError) => e.type === `${P}unauthorized`);
    });

    test('new orders are rate limited per account with Retry-After', async () => {
      const c = new AcmeClient(t);
      await c.createAccount();
      for (let i = 0; i < 25; i++) await c.newOrder([`rl${i}.test`]);
      const url = await t.url('newOrder');
      const res = await t.post(url, await t.signJws({ url, key: c.key, kid: c.accountUrl as string, payload: { identifiers: [{ type: 'dns', value: 'rl.test' }] } }));
      assertProblem(res, 'rateLimited', 429);
      assert.ok(Number(res.headers['retry-after']) > 0);
    });

    test('no input makes the server fail: random bodies never get a 500', async () => {
      const urls = [await t.url('newAccount'), await t.url('newOrder'), await t.url('revokeCert'), await t.url('keyChange'), `${client.accountUrl as string}`];
      const bodies: unknown[] = ['', '{}', '[]', 'null', '{"protected":1,"payload":2,"signature":3}', { protected: 'AAAA', payload: '', signature: '' },
        { protected: base64url.encode('{"alg":"ES256"}'), payload: '', signature: '' }, { protected: base64url.encode('[]'), payload: 'x', signature: 'y' }];
      for (let i = 0; i < 40; i++) bodies.push(Buffer.from(Array.from({ length: 1 + (i * 37) % 300 }, (_, j) => (i * 31 + j * 17) % 256)).toString('latin1'));
      for (const url of urls) {
        for (const body of bodies) {
          const res = await t.post(url, body);
          assert.ok(res.status >= 400 && res.status < 500, `${url} answered ${res.status} to ${JSON.stringify(body).slice(0, 80)}`);
          assert.match(String(res.headers['content-type']), /problem\+json/);
        }
      }
      const kid = client.accountUrl as string;
      const order = await t.url('newOrder');
      for (const payload of ['[]', '"x"', '{"identifiers":"x"}', '{"identifiers":[1]}', '{"identifiers":[{"type":"dns","value":5}]}', '{"notAfter":"x","identifiers":[{"type":"dns","value":"a.test"}]}']) {
        const res = await t.post(order, await t.signJws({ url: order, key: client.key, kid, payload }));
        assert.ok(res.status >= 400 && res.status < 500, `newOrder answered ${res.status} to ${payload}`);
      }
    });
  });
}

function derOf(pem: string): Uint8Array {
  const first = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? '';
  return Buffer.from(first.replace(/\s+/g, ''), 'base64');
}

async function keyOf(keys: webcrypto.CryptoKeyPair) {
  const { exportJWK } = await import('jose');
  return { privateKey: keys.privateKey, publicKey: keys.publicKey, jwk: await exportJWK(keys.publicKey), alg: 'ES256' };
}

/** RFC 9773 certificate identifier computed independently with node:crypto and a DER walk. */
async function ariIdOf(pem: string): Promise<string> {
  const { x509 } = await import('../../src/ca/x509.ts');
  const cert = new x509.X509Certificate(derOf(pem));
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  const serial = Buffer.from(cert.serialNumber, 'hex');
  const serialDer = (serial[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : serial;
  return `${Buffer.from(aki?.keyId ?? '', 'hex').toString('base64url')}.${serialDer.toString('base64url')}`;
}
