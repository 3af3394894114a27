/** Leaf certificate issuance: the minimal, correct end-entity profile (RFC 5280, CA/B BR style). */
import { createHash, KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { readDerChildren, readDerExact, TAG_BIT_STRING } from './der.ts';
import { authorityKeyIdFor, parseCertificatePem, rawSubject, type Certificate } from './issuer-cert.ts';
import { canonicalIp } from './ip.ts';
import { signingAlgorithmFor, type CryptoKey, type KeyAlgorithm } from './keys.ts';
import { encodeLeafTbs, encodeSignedCertificate, KEY_USAGE_EC, KEY_USAGE_RSA, SIGNATURE_ALGORITHMS } from './leaf-der.ts';
import { derToPem } from './pem.ts';
import { encodeSubjectAltName } from './san.ts';

export interface IssueOptions {
  issuerCertPem: string;
  issuerKey: CryptoKey;
  issuerAlgorithm: KeyAlgorithm;
  subjectPublicKeySpki: Uint8Array;
  dnsNames: string[];
  ipAddresses: string[];
  /** Must be one of the names; defaults to the first DNS name. Left out when longer than 64 characters. */
  commonName?: string;
  /** Clamped to the issuer's notBefore: a leaf never claims validity before its issuer's (RFC 5280 §6.1.3). */
  notBefore: Date;
  /** Clamped to the issuer's notAfter: read the result's notAfter (certNotAfter) rather than assume this. */
  notAfter: Date;
  serialHex: string;
  crlUrl?: string;
  extKeyUsage: Array<'serverAuth' | 'clientAuth'>;
}

export interface IssuedCertificate {
  der: Uint8Array;
  pem: string;
  /** The validity as written: clamped to the issuer's and truncated to whole seconds. */
  notBefore: Date;
  notAfter: Date;
}

const wholeSeconds = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);

/** ub-common-name (RFC 5280 Appendix A). */
const MAX_COMMON_NAME = 64;
/** RFC 5280 §4.1.2.2: serials are at most 20 octets. */
const MAX_SERIAL_BYTES = 20;

/**
 * A positive 16-byte serial as lowercase hex (the form certSerialHex returns). The top bit is
 * cleared so DER needs no sign byte, and a zero first byte is redrawn so the encoding stays 16
 * bytes and minimal: 127 random bits.
 */
export function randomSerialHex(): string {
  const bytes = new Uint8Array(16);
  do {
    globalThis.crypto.getRandomValues(bytes);
    bytes[0] = (bytes[0] ?? 0) & 0x7f;
  } while (bytes[0] === 0);
  return Buffer.from(bytes).toString('hex');
}

function checkSerial(serialHex: string): void {
  const ok = /^(?:[0-9a-f]{2})+$/i.test(serialHex) && serialHex.length / 2 <= MAX_SERIAL_BYTES
    && Number.parseInt(serialHex.slice(0, 2), 16) >= 0x01 && Number.parseInt(serialHex.slice(0, 2), 16) <= 0x7f;
  if (!ok) throw new Error(`serial "${serialHex}" must be 1-20 bytes of hex with a first byte of 01-7f (see randomSerialHex)`);
}

/** The subject CN, or undefined for an empty subject. */
function commonNameFor(opts: LeafOptions): string | undefined {
  if (opts.commonName !== undefined) {
    const cn = opts.commonName;
    const ip = canonicalIp(cn);
    const listed = ip !== undefined
      ? opts.ipAddresses.some((a) => canonicalIp(a) === ip)
      : opts.dnsNames.some((d) => d.toLowerCase() === cn.toLowerCase());
    if (!listed) throw new Error(`commonName "${cn}" is not one of the certificate's names`);
  }
  const cn = opts.commonName ?? opts.dnsNames[0];
  return cn !== undefined && cn.length <= MAX_COMMON_NAME ? cn : undefined;
}

/** DER contents of the rsaEncryption (1.2.840.113549.1.1.1) and id-ecPublicKey (1.2.840.10045.2.1) OIDs. */
const OID_RSA = Buffer.from('2a864886f70d010101', 'hex');
const OID_EC = Buffer.from('2a8648ce3d0201', 'hex');

/**
 * The SubjectPublicKeyInfo's algorithm OID and subjectPublicKey bits, read from the DER: the key
 * was decoded and checked when the CSR was parsed, and decoding it again (createPublicKey)
 * costs far more than these few bytes of parsing.
 */
function readSpki(spki: Uint8Array): { algorithm: Buffer; publicKey: Uint8Array } {
  const [algorithmId, bits] = readDerChildren(readDerExact(spki).value);
  const [oid] = readDerChildren(algorithmId?.value ?? new Uint8Array(0));
  if (oid === undefined || bits?.tag !== TAG_BIT_STRING) throw new Error('subjectPublicKeySpki is not a SubjectPublicKeyInfo');
  return { algorithm: Buffer.from(oid.value), publicKey: bits.value.subarray(1) };
}

function keyUsageFor(algorithm: Buffer): Uint8Array {
  if (algorithm.equals(OID_RSA)) return KEY_USAGE_RSA;
  if (algorithm.equals(OID_EC)) return KEY_USAGE_EC;
  throw new Error('cannot issue for a subject key that is neither RSA nor EC');
}

/** How the issuer signs: the AlgorithmIdentifier written into leaves and node:crypto's options for it. */
function signatureFor(alg: KeyAlgorithm): { identifier: Uint8Array; hash: string; ec: boolean } {
  const { name, hash } = signingAlgorithmFor(alg);
  if (name === 'RSASSA-PKCS1-v1_5') return { identifier: SIGNATURE_ALGORITHMS['rsa-sha256'], hash: 'sha256', ec: false };
  return hash === 'SHA-384'
    ? { identifier: SIGNATURE_ALGORITHMS['ecdsa-sha384'], hash: 'sha384', ec: true }
    : { identifier: SIGNATURE_ALGORITHMS['ecdsa-sha256'], hash: 'sha256', ec: true };
}

/** The issuer side of issuance: who signs, with which key. */
export interface IssuerKey {
  issuerCertPem: string;
  issuerKey: CryptoKey;
  issuerAlgorithm: KeyAlgorithm;
}

/** What a leaf is issued for. */
export type LeafOptions = Omit<IssueOptions, keyof IssuerKey>;

/**
 * Signs leaf certificates with one issuer. Subject is CN-only or empty; with an empty subject the
 * SAN is critical (RFC 5280 §4.2.1.6). Inputs are trusted (already checked by the caller): anything
 * wrong here is a programming error and throws a plain Error. The issuer certificate is parsed
 * once, and the first certificate signed is checked against it, so a key that does not match
 * the issuer cert fails loudly instead of producing certificates nothing can verify. Leaves are
 * encoded from a fixed DER layout (leaf-der.ts) and signed with node:crypto.
 */
export class LeafSigner {
  private readonly issuer: Certificate;
  private readonly issuerName: Uint8Array;
  private readonly authorityKeyId: Promise<Uint8Array>;
  private readonly signingKey: KeyObject;
  private readonly signature: ReturnType<typeof signatureFor>;
  private verified = false;

  constructor(key: IssuerKey) {
    this.issuer = parseCertificatePem(key.issuerCertPem, 'issuerCertPem');
    this.issuerName = rawSubject(this.issuer);
    this.authorityKeyId = authorityKeyIdFor(this.issuer).then((ext) => new Uint8Array(ext.rawData));
    this.signingKey = KeyObject.from(key.issuerKey);
    this.signature = signatureFor(key.issuerAlgorithm);
  }

  async issue(opts: LeafOptions): Promise<IssuedCertificate> {
    if (opts.dnsNames.length + opts.ipAddresses.length === 0) throw new Error('a certificate needs at least one DNS name or IP address');
    if (opts.extKeyUsage.length === 0) throw new Error('extKeyUsage must name at least one usage');
    checkSerial(opts.serialHex);
    const issuer = this.issuer;
    const notBefore = opts.notBefore < issuer.notBefore ? issuer.notBefore : opts.notBefore;
    const notAfter = opts.notAfter > issuer.notAfter ? issuer.notAfter : opts.notAfter;
    if (notBefore >= notAfter) throw new Error(`notBefore ${notBefore.toISOString()} is not before notAfter ${notAfter.toISOString()}`);

    const spki = readSpki(opts.subjectPublicKeySpki);
    const tbs = encodeLeafTbs({
      serial: Buffer.from(opts.serialHex, 'hex'),
      signatureAlgorithm: this.signature.identifier,
      issuerName: this.issuerName,
      notBefore,
      notAfter,
      commonName: commonNameFor(opts),
      spki: opts.subjectPublicKeySpki,
      keyUsage: keyUsageFor(spki.algorithm),
      extKeyUsage: opts.extKeyUsage,
      // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
      subjectKeyId: createHash('sha1').update(spki.publicKey).digest(),
      authorityKeyIdExtension: await this.authorityKeyId,
      subjectAltName: encodeSubjectAltName(opts.dnsNames, opts.ipAddresses),
      crlUrl: opts.crlUrl,
    });
    const { hash, ec, identifier } = this.signature;
    const signature = sign(hash, tbs, ec ? { key: this.signingKey, dsaEncoding: 'der' } : this.signingKey);
    if (!this.verified) {
      const issuerKey = new X509Certificate(Buffer.from(issuer.rawData)).publicKey;
      if (!verify(hash, tbs, ec ? { key: issuerKey, dsaEncoding: 'der' } : issuerKey, signature)) {
        throw new Error('the issued certificate does not verify with the issuer certificate: issuerKey does not match issuerCertPem');
      }
      this.verified = true;
    }
    const der = encodeSignedCertificate(tbs, identifier, signature);
    return { der, pem: derToPem(der, 'CERTIFICATE'), notBefore: wholeSeconds(notBefore), notAfter: wholeSeconds(notAfter) };
  }
}

/** Signs one leaf (see LeafSigner; a signer kept for many leaves parses and checks the issuer once). */
export function issueCertificate(opts: IssueOptions): Promise<IssuedCertificate> {
  return new LeafSigner(opts).issue(opts);
}
