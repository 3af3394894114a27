import type { CrlOptions } from '../../src/ca/crl.ts';
import { createHierarchy } from '../../src/ca/hierarchy.ts';
import { randomSerialHex, type IssueOptions } from '../../src/ca/issue.ts';
import { generateKeyPair, importPrivateKey, type KeyAlgorithm } from '../../src/ca/keys.ts';

/** The fixed "now" of certificate tests, so printed dates can be matched exactly. */
export const NOW = new Date('2026-03-01T12:00:00Z');
export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/** A root and intermediate made at NOW, with the intermediate's key imported for signing. */
export async function testCa(algorithm: KeyAlgorithm, intermediateValidityDays = 365) {
  const h = await createHierarchy({ algorithm, name: 'Certainty', rootValidityDays: 3650, intermediateValidityDays, now: NOW });
  const key = await importPrivateKey(h.intermediate.keyPkcs8);
  return { ...h, key };
}

export type TestCa = Awaited<ReturnType<typeof testCa>>;

/** The SubjectPublicKeyInfo of a fresh key pair. */
export async function spkiOf(alg: KeyAlgorithm): Promise<Uint8Array> {
  const pair = await generateKeyPair(alg);
  return new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
}

/** Options for a 90-day leaf with DNS and IP names, a CRL URL and both TLS key usages. */
export async function leafOptions(ca: TestCa, overrides: Partial<IssueOptions> = {}): Promise<IssueOptions> {
  return {
    issuerCertPem: ca.intermediate.certPem,
    issuerKey: ca.key.privateKey,
    issuerAlgorithm: ca.key.algorithm,
    subjectPublicKeySpki: await spkiOf('ecdsa-p256'),
    dnsNames: ['www.example.com', 'example.com'],
    ipAddresses: ['192.0.2.10', '2001:db8:0:0:0:0:0:7'],
    notBefore: NOW,
    notAfter: new Date(NOW.getTime() + 90 * DAY),
    serialHex: randomSerialHex(),
    crlUrl: 'http://ca.example.test/crl/1.crl',
    extKeyUsage: ['serverAuth', 'clientAuth'],
    ...overrides,
  };
}

/** A test CA with the signing fields every CRL of its intermediate takes. */
export async function crlCa(algorithm: KeyAlgorithm) {
  const ca = await testCa(algorithm);
  return { ...ca, base: { issuerCertPem: ca.intermediate.certPem, issuerKey: ca.key.privateKey, issuerAlgorithm: ca.key.algorithm } };
}

/** CRL #42 of `base`, valid for a day from NOW, with no entries unless `overrides` says so. */
export function crlOptions(base: Awaited<ReturnType<typeof crlCa>>['base'], overrides: Partial<CrlOptions> = {}): CrlOptions {
  return { ...base, crlNumber: 42n, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 24 * HOUR), entries: [], ...overrides };
}
