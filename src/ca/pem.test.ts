import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { createHierarchy } from './hierarchy.ts';
import { certSerialHex, certSha256Hex, derToPem, normaliseSerial, pemToDer, splitPemChain } from './pem.ts';

test('derToPem writes 64-column PEM with a trailing newline; pemToDer picks the labelled block', () => {
  const der = new Uint8Array(100).map((_, i) => i);
  const pem = derToPem(der, 'TEST DATA');
  assert.match(pem, /^-----BEGIN TEST DATA-----\n(?:[A-Za-z0-9+/]{64}\n)+[A-Za-z0-9+/=]{1,63}\n-----END TEST DATA-----\n$/);
  assert.deepEqual(pemToDer(pem), der);
  assert.deepEqual(pemToDer(`${derToPem(new Uint8Array([1]), 'OTHER')}${pem}`, 'TEST DATA'), der);
  assert.throws(() => pemToDer(pem, 'CERTIFICATE'), /expected a PEM "CERTIFICATE" block, found TEST DATA/);
  assert.throws(() => pemToDer('not pem'), /found no PEM blocks/);
});

test('splitPemChain keeps certificates in order; fingerprints and serials match OpenSSL\'s (node:crypto)', async () => {
  const { root, intermediate } = await createHierarchy({ algorithm: 'ecdsa-p256', name: 'T', rootValidityDays: 2, intermediateValidityDays: 1, now: new Date() });
  const bundle = `junk\r\n${intermediate.certPem.replace(/\n/g, '\r\n')}\n${derToPem(new Uint8Array([1]), 'PRIVATE KEY')}${root.certPem}`;
  assert.deepEqual(splitPemChain(bundle), [intermediate.certPem, root.certPem]);

  const cert = new X509Certificate(root.certPem);
  assert.equal(certSha256Hex(root.certPem), cert.fingerprint256.replace(/:/g, '').toLowerCase());
  assert.equal(certSha256Hex(pemToDer(root.certPem)), certSha256Hex(root.certPem));
  assert.equal(certSerialHex(root.certPem), cert.serialNumber.toLowerCase());
});

test('a serial names one certificate however a tool printed it', () => {
  for (const written of ['024cf1aa', '24CF1AA', '02:4C:F1:AA', '00024cf1aa', '0x024CF1AA', ' 24cf1aa\n']) {
    assert.equal(normaliseSerial(written), '024cf1aa', written);
  }
  assert.equal(normaliseSerial('7f01'), '7f01');
  assert.equal(normaliseSerial('0'), '00');
});
