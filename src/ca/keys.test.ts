import * as assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify as nodeVerify, type KeyExportOptions, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { exportPkcs8, generateKeyPair, importPrivateKey, privateKeyFromPem, signingAlgorithmFor, type CryptoKey, type KeyAlgorithm } from './keys.ts';
import { derToPem } from './pem.ts';

// node:crypto writes these PEM files with OpenSSL's own encoders (libcrypto, in process).
const pem = (key: KeyObject, encoding: KeyExportOptions<'pem'> = { format: 'pem', type: 'pkcs8' }): string => key.export(encoding) as string;
const ec = (namedCurve: string): KeyObject => generateKeyPairSync('ec', { namedCurve }).privateKey;
const rsa = (modulusLength: number): KeyObject => generateKeyPairSync('rsa', { modulusLength }).privateKey;

/** Signs with the imported WebCrypto key and verifies with node:crypto against the derived public key. */
async function assertSignsAndVerifies(privateKey: CryptoKey, publicKey: CryptoKey, alg: KeyAlgorithm): Promise<void> {
  const data = new TextEncoder().encode('certainty');
  const params = signingAlgorithmFor(alg);
  const sig = new Uint8Array(await crypto.subtle.sign(params, privateKey, data));
  assert.equal(await crypto.subtle.verify(params, publicKey, sig, data), true);
  // Cross-check outside WebCrypto: node verifies the same signature (ECDSA as IEEE P1363 r||s).
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', publicKey));
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const hash = params.hash.replace('-', '').toLowerCase();
  assert.equal(nodeVerify(hash, data, params.name === 'ECDSA' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig), true);
}

describe('keys', () => {
  for (const alg of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
    test(`${alg}: generate, export PKCS#8, re-import detects the algorithm and signs`, async () => {
      const pair = await generateKeyPair(alg);
      const pkcs8 = await exportPkcs8(pair.privateKey);
      const imported = await importPrivateKey(pkcs8);
      assert.equal(imported.algorithm, alg);
      assert.deepEqual(
        new Uint8Array(await crypto.subtle.exportKey('spki', imported.publicKey)),
        new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)),
      );
      await assertSignsAndVerifies(imported.privateKey, imported.publicKey, alg);
    });
  }

  test('signingAlgorithmFor matches the hash to the curve and uses SHA-256 for RSA', () => {
    assert.deepEqual(signingAlgorithmFor('ecdsa-p256'), { name: 'ECDSA', hash: 'SHA-256' });
    assert.deepEqual(signingAlgorithmFor('ecdsa-p384'), { name: 'ECDSA', hash: 'SHA-384' });
    assert.deepEqual(signingAlgorithmFor('rsa-4096'), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
  });

  test('privateKeyFromPem reads PKCS#8, SEC1 and PKCS#1 PEM', async () => {
    const [ecKey, rsaKey] = [ec('P-384'), rsa(2048)];
    const sec1 = pem(ecKey, { format: 'pem', type: 'sec1' });
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const pkcs1 = pem(rsaKey, { format: 'pem', type: 'pkcs1' });
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);

    for (const [text, source, alg] of [[pem(ecKey), ecKey, 'ecdsa-p384'], [sec1, ecKey, 'ecdsa-p384'], [pem(rsaKey), rsaKey, 'rsa-2048'], [pkcs1, rsaKey, 'rsa-2048']] as const) {
      const key = await privateKeyFromPem(text);
      assert.equal(key.algorithm, alg);
      // The PKCS#8 returned is the same key the PEM holds.
      assert.deepEqual(Buffer.from(key.pkcs8), source.export({ type: 'pkcs8', format: 'der' }));
      await assertSignsAndVerifies(key.privateKey, key.publicKey, alg);
    }
  });

  test('privateKeyFromPem explains encrypted, unsupported and non-key input', async () => {
    const encrypted = pem(ec('P-256'), { format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' });
    await assert.rejects(privateKeyFromPem(encrypted), /encrypted; decrypt it first/);
    await assert.rejects(privateKeyFromPem(pem(generateKeyPairSync('ed25519').privateKey)), /ed25519 keys are not supported/);
    await assert.rejects(privateKeyFromPem(pem(ec('P-521'))), /curve secp521r1 is not supported; use P-256 or P-384/);
    const rsa1024 = pem(rsa(1024));
    await assert.rejects(privateKeyFromPem(rsa1024), /RSA key of 1024 bits is not supported/);
    await assert.rejects(privateKeyFromPem(derToPem(new Uint8Array([1, 2, 3]), 'CERTIFICATE')), /expected a PEM "PRIVATE KEY"/);
  });

  test('importPrivateKey rejects bytes that are not PKCS#8', async () => {
    await assert.rejects(importPrivateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), /not an unencrypted PKCS#8 DER private key/);
  });
});
