/**
 * RFC 8737 tls-alpn-01: checking the certificate a client serves over the "acme-tls/1" ALPN
 * protocol. The TLS connection itself belongs to src/validation; this only judges the certificate.
 */
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';
import { readDerExact, TAG_OCTET_STRING } from './der.ts';
import type { Identifier } from './identifier.ts';
import { canonicalIp } from './ip.ts';
import { decodeSubjectAltName, OID_SUBJECT_ALT_NAME, type SanEntry } from './san.ts';
import { x509 } from './x509.ts';

/** id-pe-acmeIdentifier (RFC 8737 §6.1). */
export const OID_ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';
/** The ALPN protocol name a validation connection offers (RFC 8737 §6.2). */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

export interface AcmeIdentifierExpectation {
  identifier: Identifier;
  /** SHA-256 of the key authorization (32 bytes). */
  keyAuthorizationDigest: Uint8Array;
}

const DIGEST_BYTES = 32;

const incorrect = (detail: string): AppError => new AppError('incorrectResponse', `tls-alpn-01: ${detail}`);

function describeSan(entry: SanEntry): string {
  return entry.type === 'other' ? entry.form : `${entry.type === 'dns' ? 'DNS' : 'IP'}:${entry.value}`;
}

function matchesIdentifier(entry: SanEntry, identifier: Identifier): boolean {
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
