// Leaves (src/ca/issue.ts) as OpenSSL sees them: the chain verifies for TLS servers, and the
// extensions, names, subject and signature algorithm are the profile's.
import * as assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { issueCertificate } from '../../src/ca/issue.ts';
import { certNotAfter, certSerialHex, certSha256Hex, pemToDer, spkiSha256Hex } from '../../src/ca/pem.ts';
import { leafOptions, NOW, spkiOf, testCa, type TestCa } from '../support/issuing-ca.ts';
import { opensslScratch, type OpensslResult } from '../support/openssl.ts';

const scratch = opensslScratch('issue');
after(() => scratch.remove());
const openssl = scratch.run;
const ATTIME = ['-attime', String(NOW.getTime() / 1000 + 60)];

function verifyChain(ca: TestCa, leafPem: string): OpensslResult {
  return openssl(['verify', ...ATTIME, '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'root.pem', '-untrusted', 'int.pem', 'leaf.pem'], {
    'root.pem': ca.root.certPem, 'int.pem': ca.intermediate.certPem, 'leaf.pem': leafPem,
  });
}

describe('issueCertificate', () => {
  const p256 = testCa('ecdsa-p256');

  test('a leaf for DNS and IP names verifies with openssl and has the expected extensions', async () => {
    const ca = await p256;
    const opts = await leafOptions(ca);
    const leaf = await issueCertificate(opts);
    assert.deepEqual(pemToDer(leaf.pem, 'CERTIFICATE'), leaf.der);
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    assert.match(v.out, /leaf\.pem: OK/);

    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out;
    assert.match(text, /Subject: CN = www\.example\.com\n/);
    assert.match(text, /Issuer: CN = Certainty Intermediate CA/);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /Extended Key Usage: *\n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /Subject Alternative Name: *\n\s+DNS:www\.example\.com, DNS:example\.com, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:7\n/);
    assert.match(text, /CRL Distribution Points: *\n\s+Full Name:\s+URI:http:\/\/ca\.example\.test\/crl\/1\.crl/);
    assert.match(text, /Subject Key Identifier/);
    const intText = openssl(['x509', '-in', 'int.pem', '-noout', '-text']).out;
    const intSki = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(intText)?.[1];
    assert.equal(/Authority Key Identifier: *\n\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1], intSki);
    assert.doesNotMatch(text, /Subject Alternative Name: critical/);
    assert.match(text, /Not Before: Mar {2}1 12:00:00 2026 GMT\s+Not After : May 30 12:00:00 2026 GMT/);

    assert.equal(certSerialHex(leaf.pem), opts.serialHex);
    assert.equal(certNotAfter(leaf.der).toISOString(), '2026-05-30T12:00:00.000Z');
    assert.match(certSha256Hex(leaf.pem), /^[0-9a-f]{64}$/);
    const spkiPem = openssl(['x509', '-in', 'leaf.pem', '-noout', '-pubkey']).stdout;
    const spkiDer = scratch.run(['pkey', '-pubin', '-outform', 'DER'], {}, spkiPem).stdout;
    const opensslPin = scratch.run(['dgst', '-sha256', '-r'], {}, spkiDer).out;
    assert.equal(spkiSha256Hex(leaf.pem), opensslPin.split(' ')[0]);
  });

  test('RSA subject keys get keyEncipherment; an RSA hierarchy issues verifiable leaves', async () => {
    const ca = await testCa('rsa-2048');
    const leaf = await issueCertificate(await leafOptions(ca, { subjectPublicKeySpki: await spkiOf('rsa-2048'), extKeyUsage: ['serverAuth'] }));
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out;
    assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Extended Key Usage: *\n\s+TLS Web Server Authentication\n/);
  });

  test('a P-384 hierarchy signs with ECDSA SHA-384', async () => {
    const ca = await testCa('ecdsa-p384');
    const leaf = await issueCertificate(await leafOptions(ca, { subjectPublicKeySpki: await spkiOf('ecdsa-p384') }));
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    assert.match(openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out, /Signature Algorithm: ecdsa-with-SHA384/);
  });

  test('a first name longer than 64 characters gives an empty subject and a critical SAN', async () => {
    const ca = await p256;
    const long = `${'a'.repeat(60)}.example.com`;
    const { crlUrl: _noCrl, ...opts } = await leafOptions(ca, { dnsNames: [long], ipAddresses: [] });
    const leaf = await issueCertificate(opts);
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out;
    assert.match(text, /Subject: *\n/);
    assert.match(text, new RegExp(`Subject Alternative Name: critical\\s+DNS:${long.replace(/\./g, '\\.')}\\n`));
    assert.doesNotMatch(text, /CRL Distribution Points/);
  });

  test('an IP-only certificate has an empty subject; commonName must be one of the names', async () => {
    const ca = await p256;
    const leaf = await issueCertificate(await leafOptions(ca, { dnsNames: [], ipAddresses: ['::1'] }));
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text'], { 'leaf.pem': leaf.pem }).out;
    assert.match(text, /Subject: *\n/);
    assert.match(text, /Subject Alternative Name: critical\s+IP Address:0:0:0:0:0:0:0:1\n/);
    const withCn = await issueCertificate(await leafOptions(ca, { commonName: 'example.com' }));
    assert.match(openssl(['x509', '-in', 'l.pem', '-noout', '-subject'], { 'l.pem': withCn.pem }).out, /subject=CN = example\.com/);
    await assert.rejects(issueCertificate(await leafOptions(ca, { commonName: 'other.example' })), /commonName "other\.example" is not one of the certificate's names/);
  });
});
