import * as assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK } from 'jose';
import { AppError } from '../errors.ts';
import { checkAccountJwk, decodeProtectedHeader } from './jws.ts';

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
