import * as assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, FlattenedSign } from 'jose';
import { AppError } from '../errors.ts';
import { checkAccountJwk, decodeProtectedHeader, JwsVerifier, thumbprint } from './jws.ts';

const jwsWith = (header: object): { protected: string; payload: string; signature: string } => ({
  protected: Buffer.from(JSON.stringify(header)).toString('base64url'), payload: '', signature: '',
});

const isCode = (code: string) => (err: unknown): boolean => err instanceof AppError && err.code === code;

test('a "crit" header is malformed (RFC 7515 §4.1.11), not badSignatureAlgorithm', () => {
  assert.throws(() => decodeProtectedHeader(jwsWith({ alg: 'ES256', crit: ['exp'], exp: 1 })), isCode('malformed'));
  assert.throws(() => decodeProtectedHeader(jwsWith({ alg: 'ES256', crit: [] })), isCode('malformed'));
  assert.equal(decodeProtectedHeader(jwsWith({ alg: 'ES256' })).alg, 'ES256');
});

test('RSA account keys must have the public exponent 65537', async () => {
  const withExponent = async (publicExponent: number) => exportJWK(generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent }).publicKey);
  assert.throws(() => checkAccountJwk(undefined), isCode('malformed'));
  const e3 = await withExponent(3);
  assert.throws(() => checkAccountJwk(e3), (err: unknown) => isCode('badPublicKey')(err) && /65537/.test((err as AppError).detail));
  assert.throws(() => checkAccountJwk({ ...e3, e: 'AQAB'.repeat(50) }), isCode('badPublicKey'));
  assert.equal(checkAccountJwk(await withExponent(65537)).kty, 'RSA');
  // A leading zero octet does not change the value.
  assert.equal(checkAccountJwk({ ...e3, e: Buffer.from([0, 1, 0, 1]).toString('base64url') }).kty, 'RSA');
});

test('thumbprints are RFC 7638 and agree with jose for every accepted key type', async () => {
  // RFC 7638 §3.1 example.
  const rfc = {
    kty: 'RSA', e: 'AQAB', alg: 'RS256', kid: '2011-04-29',
    n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  };
  assert.equal(await thumbprint(rfc), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  for (const [type, options] of [['ec', { namedCurve: 'P-256' }], ['ec', { namedCurve: 'P-384' }], ['ed25519', {}], ['rsa', { modulusLength: 2048 }]] as const) {
    const jwk = await exportJWK(generateKeyPairSync(type as 'ec', options as { namedCurve: string }).publicKey);
    assert.equal(await thumbprint(jwk), await calculateJwkThumbprint(jwk, 'sha256'), type);
  }
  await assert.rejects(thumbprint({ kty: 'EC', crv: 'P-256', x: 'AA' }), TypeError);
  await assert.rejects(thumbprint({ kty: 'XYZ' }), TypeError);
});

test('JwsVerifier accepts what jose signs for every accepted alg and refuses tampering and misfit keys', async () => {
  const cases = [
    ['ES256', 'ec', { namedCurve: 'P-256' }], ['ES384', 'ec', { namedCurve: 'P-384' }], ['ES512', 'ec', { namedCurve: 'P-521' }],
    ['RS256', 'rsa', { modulusLength: 2048 }], ['PS384', 'rsa', { modulusLength: 2048 }], ['EdDSA', 'ed25519', {}],
  ] as const;
  const verifier = new JwsVerifier();
  for (const [alg, type, options] of cases) {
    const { publicKey, privateKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
    const jwk = await exportJWK(publicKey);
    const signed = await new FlattenedSign(Buffer.from('{"a":1}')).setProtectedHeader({ alg }).sign(privateKey);
    const jws = { protected: signed.protected ?? '', payload: signed.payload, signature: signed.signature };
    assert.equal((await verifier.verify(jws, jwk, alg)).toString(), '{"a":1}', alg);
    const sig = Buffer.from(jws.signature, 'base64url');
    sig[5] = (sig[5] ?? 0) ^ 0xff;
    await assert.rejects(verifier.verify({ ...jws, signature: sig.toString('base64url') }, jwk, alg), isCode('malformed'), alg);
    await assert.rejects(verifier.verify({ ...jws, payload: `${jws.payload}=` }, jwk, alg), isCode('malformed'), alg);
  }
  const ec = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
  await assert.rejects(verifier.verify(jwsWith({ alg: 'RS256' }), ec, 'RS256'), isCode('badSignatureAlgorithm'));
  await assert.rejects(verifier.verify(jwsWith({ alg: 'ES256' }), ec, 'ES256'), isCode('badPublicKey'));
  await assert.rejects(verifier.verify(jwsWith({ alg: 'HS256' }), ec, 'HS256'), isCode('badSignatureAlgorithm'));
});
