import * as assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { acmeIdentifierExtension, buildAcmeIdentifierCertificate } from '../../test/support/acme-identifier-cert.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import type { Identifier } from './identifier.ts';
import { generateKeyPair, signingAlgorithmFor } from './keys.ts';
import { pemToDer } from './pem.ts';
import { encodeSubjectAltName, OID_SUBJECT_ALT_NAME } from './san.ts';
import { checkAcmeIdentifierCertificate, OID_ACME_IDENTIFIER } from './tls-alpn.ts';
import { x509 } from './x509.ts';

const keyAuthorization = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI';
const digest = new Uint8Array(createHash('sha256').update(keyAuthorization).digest());
const dns: Identifier = { type: 'dns', value: 'www.example.org' };

function throwsWith(fn: () => void, code: ErrorCode, detail: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.detail, detail);
    return true;
  });
}

/** A validation certificate with chosen SAN and extensions, to build the malformed variants. */
async function variant(extensions: Array<InstanceType<typeof x509.Extension>>): Promise<Uint8Array> {
  const keys = await generateKeyPair('ecdsa-p256');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: [{ CN: ['acme'] }], keys, signingAlgorithm: signingAlgorithmFor('ecdsa-p256'), extensions,
  });
  return new Uint8Array(cert.rawData);
}

const sanFor = (dnsNames: string[], ips: string[] = []) => new x509.Extension(OID_SUBJECT_ALT_NAME, false, encodeSubjectAltName(dnsNames, ips));

describe('tls-alpn-01 certificate check', () => {
  test('accepts the certificate buildAcmeIdentifierCertificate makes, which OpenSSL (node:crypto) reads as expected', async () => {
    const { certPem, keyPem } = await buildAcmeIdentifierCertificate(dns, digest);
    checkAcmeIdentifierCertificate(pemToDer(certPem, 'CERTIFICATE'), { identifier: dns, keyAuthorizationDigest: digest });
    checkAcmeIdentifierCertificate(pemToDer(certPem, 'CERTIFICATE'), { identifier: { type: 'dns', value: 'WWW.Example.ORG' }, keyAuthorizationDigest: digest });

    const cert = new X509Certificate(certPem);
    assert.equal(cert.subjectAltName, 'DNS:www.example.org');
    const parsed = new x509.X509Certificate(certPem);
    assert.equal(parsed.getExtension(OID_SUBJECT_ALT_NAME)?.critical, true);
    assert.equal(parsed.getExtension(OID_ACME_IDENTIFIER)?.critical, true);
    // The extension body is OCTET STRING (04 20) + digest.
    assert.ok(cert.raw.includes(Buffer.concat([Buffer.from([0x04, 0x22, 0x04, 0x20]), digest])));
    // The key matches the certificate.
    assert.equal(cert.checkPrivateKey(createPrivateKey(keyPem)), true);
  });

  test('IP identifiers match by address, whatever the text form', async () => {
    const { certPem } = await buildAcmeIdentifierCertificate({ type: 'ip', value: '2001:db8::1' }, digest);
    const der = pemToDer(certPem, 'CERTIFICATE');
    checkAcmeIdentifierCertificate(der, { identifier: { type: 'ip', value: '2001:DB8:0:0:0:0:0:1' }, keyAuthorizationDigest: digest });
    throwsWith(() => checkAcmeIdentifierCertificate(der, { identifier: { type: 'ip', value: '2001:db8::2' }, keyAuthorizationDigest: digest }), 'unauthorized', /only IP:2001:db8::2 .* found IP:2001:db8::1/);
    throwsWith(() => checkAcmeIdentifierCertificate(der, { identifier: { type: 'dns', value: '2001:db8::1' }, keyAuthorizationDigest: digest }), 'unauthorized', /found IP:2001:db8::1/);
  });

  test('rejects a wrong digest', async () => {
    const { certPem } = await buildAcmeIdentifierCertificate(dns, digest);
    const wrong = new Uint8Array(createHash('sha256').update(`${keyAuthorization}x`).digest());
    throwsWith(() => checkAcmeIdentifierCertificate(pemToDer(certPem, 'CERTIFICATE'), { identifier: dns, keyAuthorizationDigest: wrong }), 'incorrectResponse', /does not hold the SHA-256 digest of the expected key authorization/);
  });

  test('rejects a non-critical acmeIdentifier extension', async () => {
    const der = await variant([sanFor([dns.value]), acmeIdentifierExtension(digest, false)]);
    throwsWith(() => checkAcmeIdentifierCertificate(der, { identifier: dns, keyAuthorizationDigest: digest }), 'incorrectResponse', /must be marked critical/);
  });

  test('rejects an extra SAN, a wrong SAN and a missing SAN', async () => {
    const extra = await variant([sanFor([dns.value, 'evil.example']), acmeIdentifierExtension(digest)]);
    throwsWith(() => checkAcmeIdentifierCertificate(extra, { identifier: dns, keyAuthorizationDigest: digest }), 'unauthorized', /name only DNS:www\.example\.org in subjectAltName, found DNS:www\.example\.org, DNS:evil\.example/);
    const extraIp = await variant([sanFor([dns.value], ['192.0.2.1']), acmeIdentifierExtension(digest)]);
    throwsWith(() => checkAcmeIdentifierCertificate(extraIp, { identifier: dns, keyAuthorizationDigest: digest }), 'unauthorized', /found DNS:www\.example\.org, IP:192\.0\.2\.1/);
    const wrong = await variant([sanFor(['other.example']), acmeIdentifierExtension(digest)]);
    throwsWith(() => checkAcmeIdentifierCertificate(wrong, { identifier: dns, keyAuthorizationDigest: digest }), 'unauthorized', /found DNS:other\.example/);
    const none = await variant([acmeIdentifierExtension(digest)]);
    throwsWith(() => checkAcmeIdentifierCertificate(none, { identifier: dns, keyAuthorizationDigest: digest }), 'unauthorized', /must have one subjectAltName extension/);
  });

  test('rejects a missing extension, a value that is not an OCTET STRING, and garbage', async () => {
    const missing = await variant([sanFor([dns.value])]);
    throwsWith(() => checkAcmeIdentifierCertificate(missing, { identifier: dns, keyAuthorizationDigest: digest }), 'incorrectResponse', /exactly one acmeIdentifier extension .* found 0/);
    // The digest bare, without the inner OCTET STRING (an early-draft encoding).
    const bare = await variant([sanFor([dns.value]), new x509.Extension(OID_ACME_IDENTIFIER, true, digest)]);
    throwsWith(() => checkAcmeIdentifierCertificate(bare, { identifier: dns, keyAuthorizationDigest: digest }), 'incorrectResponse', /must be a DER OCTET STRING/);
    const short = await variant([sanFor([dns.value]), new x509.Extension(OID_ACME_IDENTIFIER, true, new Uint8Array([0x04, 0x10, ...digest.subarray(0, 16)]))]);
    throwsWith(() => checkAcmeIdentifierCertificate(short, { identifier: dns, keyAuthorizationDigest: digest }), 'incorrectResponse', /does not hold the SHA-256 digest/);
    throwsWith(() => checkAcmeIdentifierCertificate(new Uint8Array([1, 2, 3]), { identifier: dns, keyAuthorizationDigest: digest }), 'incorrectResponse', /could not be parsed/);
  });
});
