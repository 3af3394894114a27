import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, test } from 'node:test';
import { exportPkcs8, generateKeyPair, importPrivateKey, privateKeyFromPem, signingAlgorithmFor, type CryptoKey, type KeyAlgorithm } from './keys.ts';
import { derToPem } from './pem.ts';

function opensslPem(args: string[], input?: string): string {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

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

  test('privateKeyFromPem reads PKCS#8, SEC1 and PKCS#1 PEM made by openssl', async () => {
    const ecPkcs8 = opensslPem(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    const sec1 = opensslPem(['ec', '-outform', 'PEM'], ecPkcs8);
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const rsaPkcs8 = opensslPem(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const pkcs1 = opensslPem(['rsa', '-traditional'], rsaPkcs8);
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);

    for (const [pem, alg] of [[ecPkcs8, 'ecdsa-p384'], [sec1, 'ecdsa-p384'], [rsaPkcs8, 'rsa-2048'], [pkcs1, 'rsa-2048']] as const) {
      const key = await privateKeyFromPem(pem);
      assert.equal(key.algorithm, alg);
      // The PKCS#8 returned is the same key openssl wrote.
      const fromOpenssl = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
      assert.deepEqual(Buffer.from(key.pkcs8), fromOpenssl);
      await assertSignsAndVerifies(key.privateKey, key.publicKey, alg);
    }
  });

  test('privateKeyFromPem explains encrypted, unsupported and non-key input', async () => {
    const ec = opensslPem(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const encrypted = opensslPem(['pkey', '-aes256', '-passout', 'pass:secret'], ec);
    await assert.rejects(privateKeyFromPem(encrypted), /encrypted; decrypt it first/);
    const ed = opensslPem(['genpkey', '-algorithm', 'ED25519']);
    await assert.rejects(privateKeyFromPem(ed), /ed25519 keys are not supported/);
    const p521 = opensslPem(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']);
    await assert.rejects(privateKeyFromPem(p521), /curve secp521r1 is not supported; use P-256 or P-384/);
    const rsa1024 = opensslPem(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    await assert.rejects(privateKeyFromPem(rsa1024), /RSA key of 1024 bits is not supported/);
    await assert.rejects(privateKeyFromPem(derToPem(new Uint8Array([1, 2, 3]), 'CERTIFICATE')), /expected a PEM "PRIVATE KEY"/);
  });

  test('importPrivateKey rejects bytes that are not PKCS#8', async () => {
    await assert.rejects(importPrivateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), /not an unencrypted PKCS#8 DER private key/);
  });
});
