import * as assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { base64url, decodeProtectedHeader, flattenedVerify } from 'jose';
import { x509 } from '../ca/x509.ts';
import {
  AcmeClient, AcmeError, AcmeTransport, createCsr, dns01TxtValue, generateAcmeKey,
} from './client.ts';

// The client against a real ACME server (Pebble): test/integration/acme-client.pebble.test.ts.

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A plain-HTTP stand-in for an ACME server whose answers each test scripts. */
async function fakeServer(handler: Handler): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString())).on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, { 'content-type': type, ...headers }).end(JSON.stringify(body));
}

function directory(base: string): Record<string, string> {
  return { newNonce: `${base}/nonce`, newAccount: `${base}/acct`, newOrder: `${base}/order`, revokeCert: `${base}/revoke`, keyChange: `${base}/kc` };
}

describe('AcmeTransport.signJws', () => {
  test('signs a JWS that verifies, with jwk before an account exists and kid after', async () => {
    const key = await generateAcmeKey();
    const transport = new AcmeTransport({ directoryUrl: 'http://127.0.0.1:9/dir' });
    const jws = await transport.signJws({ url: 'https://x/acct', payload: { a: 1 }, key, nonce: 'n1' });
    const verified = await flattenedVerify(jws, key.publicKey);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(verified.payload)), { a: 1 });
    assert.deepEqual(verified.protectedHeader, { alg: 'ES256', url: 'https://x/acct', nonce: 'n1', jwk: key.jwk });
    const withKid = await transport.signJws({ url: 'https://x/o', payload: '', key, kid: 'https://x/acct/1', nonce: 'n2' });
    assert.equal(withKid.payload, '');
    assert.deepEqual(decodeProtectedHeader(withKid), { alg: 'ES256', url: 'https://x/o', nonce: 'n2', kid: 'https://x/acct/1' });
  });

  test('applies overrides, drops undefined ones and sends raw string payloads as given', async () => {
    const key = await generateAcmeKey('ES384');
    const transport = new AcmeTransport({ directoryUrl: 'http://127.0.0.1:9/dir' });
    const jws = await transport.signJws({ url: 'u', payload: '{not json', key, protectedOverrides: { nonce: undefined, alg: 'RS256', extra: true } });
    assert.deepEqual(decodeProtectedHeader(jws), { alg: 'RS256', url: 'u', jwk: key.jwk, extra: true });
    assert.equal(new TextDecoder().decode(base64url.decode(jws.payload)), '{not json');
  });
});

describe('AcmeClient against a scripted server', () => {
  test('retries badNonce three times with the fresh nonce, then gives up', async (t) => {
    const nonces: string[] = [];
    const srv = await fakeServer((req, body, res) => {
      if (req.url === '/dir') return answer(res, 200, directory(srv.base));
      if (req.method === 'HEAD') return answer(res, 200, '', { 'replay-nonce': 'fresh' });
      nonces.push(String(decodeProtectedHeader(JSON.parse(body)).nonce));
      answer(res, 400, { type: 'urn:ietf:params:acme:error:badNonce', detail: 'stale' }, { 'replay-nonce': `retry${nonces.length}` });
    });
    t.after(srv.close);
    const client = new AcmeClient(new AcmeTransport({ directoryUrl: `${srv.base}/dir` }));
    await assert.rejects(client.createAccount(), (e) => e instanceof AcmeError && e.type.endsWith(':badNonce'));
    assert.deepEqual(nonces, ['fresh', 'retry1', 'retry2', 'retry3']);
  });

  test('poll honours Retry-After and reports the challenge error of an invalid authorization', async (t) => {
    const seen: number[] = [];
    const srv = await fakeServer((req, _body, res) => {
      if (req.url === '/dir') return answer(res, 200, directory(srv.base));
      if (req.method === 'HEAD') return answer(res, 200, '', { 'replay-nonce': 'fresh' });
      seen.push(Date.now());
      if (seen.length < 3) return answer(res, 200, { status: 'pending' }, { 'retry-after': '1' });
      answer(res, 200, { status: 'invalid', challenges: [{ type: 'http-01', error: { type: 'urn:ietf:params:acme:error:connection' } }] });
    });
    t.after(srv.close);
    const client = new AcmeClient(new AcmeTransport({ directoryUrl: `${srv.base}/dir` }), await generateAcmeKey());
    client.accountUrl = `${srv.base}/acct/1`;
    await assert.rejects(client.poll(`${srv.base}/authz/1`, ['valid']), (e) => e instanceof AcmeError && e.type.endsWith(':connection'));
    assert.equal(seen.length, 3);
    assert.ok((seen[2] ?? 0) - (seen[0] ?? 0) >= 1900, 'waited about one second twice');
  });
});

describe('helpers', () => {
  test('createCsr names every identifier and is self-signed', async () => {
    const { der } = await createCsr([{ type: 'dns', value: 'a.example.test' }, { type: 'ip', value: '192.0.2.7' }]);
    const csr = new x509.Pkcs10CertificateRequest(der);
    assert.ok(await csr.verify());
    const raw = csr.getExtension('2.5.29.17')?.rawData;
    assert.ok(raw, 'the CSR requests a subjectAltName extension');
    assert.deepEqual(new x509.SubjectAlternativeNameExtension(raw).names.toJSON(), [{ type: 'dns', value: 'a.example.test' }, { type: 'ip', value: '192.0.2.7' }]);
  });

  test('external account binding is HS256 over the account JWK', async () => {
    const client = new AcmeClient(new AcmeTransport({ directoryUrl: 'http://127.0.0.1:9/dir' }), await generateAcmeKey());
    const hmac = new Uint8Array(32).fill(7);
    const eab = await client.externalAccountBinding('https://x/new-acct', { kid: 'kid-1', hmacKey: base64url.encode(hmac) });
    const verified = await flattenedVerify(eab, hmac);
    assert.deepEqual(verified.protectedHeader, { alg: 'HS256', kid: 'kid-1', url: 'https://x/new-acct' });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(verified.payload)), client.key.jwk);
  });

  test('dns-01 TXT value is the base64url SHA-256 of the key authorization', () => {
    assert.equal(dns01TxtValue('token.thumb'), 'lCdftpJCXapaZHkBGIZbcubeKW8RmA0jSG_aZN01zbU');
  });
});
