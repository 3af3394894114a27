/**
 * RFC 8737 tls-alpn-01: checking the certificate a client serves over the "acme-tls/1" ALPN
 * protocol. The TLS connection itself belongs to src/validation; this only judges the certificate.
 */
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';
import { readDerExact, TAG_OCTET_STRING } from './der.ts';
import { canonicalIp } from './ip.ts';
import { randomSerialHex } from './issue.ts';
import { exportPkcs8, generateKeyPair, signingAlgorithmFor } from './keys.ts';
import { derToPem } from './pem.ts';
import { decodeSubjectAltName, encodeSubjectAltName, OID_SUBJECT_ALT_NAME, type SanEntry } from './san.ts';
import { x509 } from './x509.ts';

/** id-pe-acmeIdentifier (RFC 8737 §6.1). */
export const OID_ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';
/** The ALPN protocol name a validation connection offers (RFC 8737 §6.2). */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

export interface AcmeIdentifier {
  type: 'dns' | 'ip';
  value: string;
}

export interface AcmeIdentifierExpectation {
  identifier: AcmeIdentifier;
  /** SHA-256 of the key authorization (32 bytes). */
  keyAuthorizationDigest: Uint8Array;
}

const DIGEST_BYTES = 32;

const incorrect = (detail: string): AppError => new AppError('incorrectResponse', `tls-alpn-01: ${detail}`);

function describeSan(entry: SanEntry): string {
  return entry.type === 'other' ? entry.form : `${entry.type === 'dns' ? 'DNS' : 'IP'}:${entry.value}`;
}

function matchesIdentifier(entry: SanEntry, identifier: AcmeIdentifier): boolean {
  if (entry.type === 'dns' && identifier.type === 'dns') return entry.value.toLowerCase() === identifier.value.toLowerCase();
  if (entry.type === 'ip' && identifier.type === 'ip') return entry.value === canonicalIp(identifier.value);
  return false;
}

/**
 * Throws unless the certificate's subjectAltName is exactly the identifier (unauthorized otherwise:
 * the certificate speaks for some other name) and it carries a critical acmeIdentifier extension
 * whose value is a DER OCTET STRING holding exactly the key authorization digest (incorrectResponse).
 */
export function checkAcmeIdentifierCertificate(certDer: Uint8Array, expected: AcmeIdentifierExpectation): void {
  if (expected.keyAuthorizationDigest.length !== DIGEST_BYTES) throw new Error('keyAuthorizationDigest must be a 32-byte SHA-256 digest');
  let extensions;
  try {
    extensions = new x509.X509Certificate(certDer).extensions;
  } catch {
    throw incorrect('the certificate presented could not be parsed');
  }
  const want = `${expected.identifier.type === 'dns' ? 'DNS' : 'IP'}:${expected.identifier.value}`;

  const sans = extensions.filter((e) => e.type === OID_SUBJECT_ALT_NAME);
  if (sans.length !== 1 || sans[0] === undefined) throw new AppError('unauthorized', `tls-alpn-01: the certificate must have one subjectAltName extension naming only ${want}`);
  let names: SanEntry[];
  try {
    names = decodeSubjectAltName(new Uint8Array(sans[0].value));
  } catch (err) {
    throw incorrect(`the certificate's subjectAltName is malformed (${(err as Error).message})`);
  }
  const [only] = names;
  if (names.length !== 1 || only === undefined || !matchesIdentifier(only, expected.identifier)) {
    throw new AppError('unauthorized', `tls-alpn-01: the certificate must name only ${want} in subjectAltName, found ${names.map(describeSan).join(', ') || 'nothing'}`);
  }

  const acme = extensions.filter((e) => e.type === OID_ACME_IDENTIFIER);
  if (acme.length !== 1 || acme[0] === undefined) throw incorrect(`the certificate must carry exactly one acmeIdentifier extension (${OID_ACME_IDENTIFIER}), found ${acme.length}`);
  if (!acme[0].critical) throw incorrect('the acmeIdentifier extension must be marked critical');
  let digest: Uint8Array;
  try {
    const value = readDerExact(new Uint8Array(acme[0].value));
    if (value.tag !== TAG_OCTET_STRING) throw new Error('not an OCTET STRING');
    digest = value.value;
  } catch {
    throw incorrect('the acmeIdentifier extension value must be a DER OCTET STRING holding the SHA-256 digest of the key authorization');
  }
  if (digest.length !== DIGEST_BYTES || !timingSafeEqual(digest, expected.keyAuthorizationDigest)) {
    throw incorrect('the acmeIdentifier extension does not hold the SHA-256 digest of the expected key authorization');
  }
}

/** The critical acmeIdentifier extension for a digest: extnValue is OCTET STRING (SIZE (32)). */
export function acmeIdentifierExtension(keyAuthorizationDigest: Uint8Array, critical = true): InstanceType<typeof x509.Extension> {
  if (keyAuthorizationDigest.length !== DIGEST_BYTES) throw new Error('keyAuthorizationDigest must be a 32-byte SHA-256 digest');
  return new x509.Extension(OID_ACME_IDENTIFIER, critical, new Uint8Array([TAG_OCTET_STRING, DIGEST_BYTES, ...keyAuthorizationDigest]));
}

/** A self-signed P-256 validation certificate as an ACME client would serve it (tests, dev responders). */
export async function buildAcmeIdentifierCertificate(
  identifier: AcmeIdentifier,
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
