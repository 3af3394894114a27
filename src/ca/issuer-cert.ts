/** Helpers for reading an issuing CA certificate when signing certificates and CRLs. */
import { readDerChildren, readDerExact } from './der.ts';
import { pemToDer } from './pem.ts';
import { x509 } from './x509.ts';

export type Certificate = InstanceType<typeof x509.X509Certificate>;

/** Parses a PEM certificate; a plain Error naming `what` when it is not one. */
export function parseCertificatePem(pem: string, what: string): Certificate {
  try {
    return new x509.X509Certificate(pemToDer(pem, 'CERTIFICATE'));
  } catch (err) {
    throw new Error(`${what} is not a PEM X.509 certificate (${(err as Error).message})`, { cause: err });
  }
}

/**
 * AuthorityKeyIdentifier for things `issuer` signs: its subjectKeyIdentifier when present
 * (RFC 5280 §4.2.1.1), else the SHA-1 of its public key (method 1 of §4.2.1.2), as OpenSSL does.
 */
export async function authorityKeyIdFor(issuer: Certificate): Promise<InstanceType<typeof x509.AuthorityKeyIdentifierExtension>> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

/** The issuer's subject Name exactly as encoded in its certificate, for byte-exact chaining. */
export function rawSubject(cert: Certificate): Uint8Array {
  const [tbs] = readDerChildren(readDerExact(new Uint8Array(cert.rawData)).value);
  if (tbs === undefined) throw new Error('certificate has no tbsCertificate');
  const fields = readDerChildren(tbs.value);
  // tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject.
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (subject === undefined) throw new Error('certificate has no subject');
  return tbs.value.subarray(subject.start, subject.end);
}
