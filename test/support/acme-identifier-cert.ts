// tls-alpn-01 validation certificates as an ACME client serves them (RFC 8737 §3), for the tests
// of the check in src/ca/tls-alpn.ts and of the validator; the product only checks them.
import { randomSerialHex } from '../../src/ca/issue.ts';
import type { Identifier } from '../../src/ca/identifier.ts';
import { exportPkcs8, generateKeyPair, signingAlgorithmFor } from '../../src/ca/keys.ts';
import { derToPem } from '../../src/ca/pem.ts';
import { encodeSubjectAltName, OID_SUBJECT_ALT_NAME } from '../../src/ca/san.ts';
import { OID_ACME_IDENTIFIER } from '../../src/ca/tls-alpn.ts';
import { x509 } from '../../src/ca/x509.ts';

const DIGEST_BYTES = 32;
const TAG_OCTET_STRING = 0x04;

/** The acmeIdentifier extension for a digest (critical unless told): extnValue is OCTET STRING (SIZE (32)). */
export function acmeIdentifierExtension(keyAuthorizationDigest: Uint8Array, critical = true): InstanceType<typeof x509.Extension> {
  if (keyAuthorizationDigest.length !== DIGEST_BYTES) throw new Error('keyAuthorizationDigest must be a 32-byte SHA-256 digest');
  return new x509.Extension(OID_ACME_IDENTIFIER, critical, new Uint8Array([TAG_OCTET_STRING, DIGEST_BYTES, ...keyAuthorizationDigest]));
}

/** A self-signed P-256 validation certificate for `identifier`, valid from an hour before `now` for a week. */
export async function buildAcmeIdentifierCertificate(
  identifier: Identifier,
  keyAuthorizationDigest: Uint8Array,
  now: Date = new Date(),
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair('ecdsa-p256');
  const san = identifier.type === 'dns' ? encodeSubjectAltName([identifier.value], []) : encodeSubjectAltName([], [identifier.value]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 7 * 86_400_000),
    keys,
    signingAlgorithm: signingAlgorithmFor('ecdsa-p256'),
    // Empty subject, so the SAN is critical (RFC 5280 §4.2.1.6).
    extensions: [new x509.Extension(OID_SUBJECT_ALT_NAME, true, san), acmeIdentifierExtension(keyAuthorizationDigest)],
  });
  return {
    certPem: derToPem(new Uint8Array(cert.rawData), 'CERTIFICATE'),
    keyPem: derToPem(await exportPkcs8(keys.privateKey), 'PRIVATE KEY'),
  };
}
