import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { DAY, leafOptions, NOW, testCa } from '../../test/support/issuing-ca.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import { generateKeyPair } from './keys.ts';
import { certNotAfter, certSerialHex, pemToDer } from './pem.ts';
import { x509 } from './x509.ts';

// What OpenSSL says of the leaves (chain, extensions, names, signature algorithms):
// test/integration/ca.issue-openssl.test.ts.

describe('issueCertificate', () => {
  const p256 = testCa('ecdsa-p256');

  test('a leaf is signed by the intermediate and carries the requested serial, names and dates', async () => {
    const ca = await p256;
    const opts = await leafOptions(ca);
    const leaf = await issueCertificate(opts);
    assert.deepEqual(pemToDer(leaf.pem, 'CERTIFICATE'), leaf.der);
    const [cert, issuer] = [new X509Certificate(leaf.pem), new X509Certificate(ca.intermediate.certPem)];
    assert.equal(cert.checkIssued(issuer) && cert.verify(issuer.publicKey), true);
    assert.equal(cert.ca, false);
    assert.equal(cert.subjectAltName, 'DNS:www.example.com, DNS:example.com, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:7');
    assert.equal(certSerialHex(leaf.pem), opts.serialHex);
    assert.equal(certNotAfter(leaf.der).toISOString(), '2026-05-30T12:00:00.000Z');
    assert.equal(leaf.notAfter.toISOString(), '2026-05-30T12:00:00.000Z');
  });

  test('the validity reported is the one written: clamped and in whole seconds', async () => {
    const ca = await testCa('ecdsa-p256', 30);
    const leaf = await issueCertificate(await leafOptions(ca, { notBefore: new Date(NOW.getTime() + 1234), notAfter: new Date(NOW.getTime() + 90 * DAY) }));
    const cert = new X509Certificate(leaf.pem);
    assert.equal(leaf.notBefore.getTime(), new Date(cert.validFrom).getTime());
    assert.equal(leaf.notAfter.getTime(), certNotAfter(ca.intermediate.certPem).getTime());
  });

  test('notAfter is clamped to the issuer notAfter', async () => {
    const ca = await testCa('ecdsa-p256', 30);
    const leaf = await issueCertificate(await leafOptions(ca, { notAfter: new Date(NOW.getTime() + 90 * DAY) }));
    assert.deepEqual(certNotAfter(leaf.pem), certNotAfter(ca.intermediate.certPem));
  });

  test('notBefore is clamped to the issuer notBefore (a leaf never predates its issuer)', async () => {
    const ca = await p256;
    const leaf = await issueCertificate(await leafOptions(ca, { notBefore: new Date('2019-01-01T00:00:00Z') }));
    assert.equal(new X509Certificate(leaf.pem).validFrom, new X509Certificate(ca.intermediate.certPem).validFrom);
  });

  test('rejects bad serials, no names, and an issuer key that does not match the issuer certificate', async () => {
    const ca = await p256;
    await assert.rejects(issueCertificate(await leafOptions(ca, { serialHex: '80' + '00'.repeat(15) })), /serial .* first byte of 01-7f/);
    await assert.rejects(issueCertificate(await leafOptions(ca, { serialHex: '01'.repeat(21) })), /serial/);
    await assert.rejects(issueCertificate(await leafOptions(ca, { dnsNames: [], ipAddresses: [] })), /at least one DNS name or IP address/);
    const other = await generateKeyPair('ecdsa-p256');
    await assert.rejects(issueCertificate(await leafOptions(ca, { issuerKey: other.privateKey })), /issuerKey does not match issuerCertPem/);
  });

  test('the subjectKeyIdentifier is the SHA-1 of the subject key bits, as the library computes it', async () => {
    const ca = await p256;
    for (const alg of ['ecdsa-p384', 'rsa-2048'] as const) {
      const opts = await leafOptions(ca, { subjectPublicKeySpki: new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', (await generateKeyPair(alg)).publicKey)) });
      const leaf = new x509.X509Certificate((await issueCertificate(opts)).der);
      const expected = await x509.SubjectKeyIdentifierExtension.create(opts.subjectPublicKeySpki);
      assert.equal(leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, expected.keyId, alg);
      const usage = leaf.getExtension(x509.KeyUsagesExtension)?.usages;
      assert.equal(usage, alg === 'rsa-2048' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature);
    }
  });
});

test('randomSerialHex: 16 bytes, positive, minimal, distinct', () => {
  const serials = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const s = randomSerialHex();
    assert.match(s, /^[0-7][0-9a-f]{31}$/);
    assert.notEqual(s.slice(0, 2), '00');
    serials.add(s);
  }
  assert.equal(serials.size, 2000);

});
