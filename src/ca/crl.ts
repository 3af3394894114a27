/**
 * CRL signing (RFC 5280 §5): a v2 CRL with AKI and CRL number, one entry per revoked serial; a
 * partitioned CRL (one shard's) also carries a critical issuing distribution point (§5.2.5).
 * Encoded here rather than with X509CrlGenerator because that writes an empty (invalid, SIZE 1..MAX)
 * crlEntryExtensions SEQUENCE for every entry without a reason code.
 */
import { verify, X509Certificate } from 'node:crypto';
import { concatBytes, encodeDer, encodeDerInteger, encodeDerSequence, encodeDerTime, encodeDerUnsignedInteger, TAG_BIT_STRING } from './der.ts';
import { authorityKeyIdFor, parseCertificatePem, rawSubject } from './issuer-cert.ts';
import { signingAlgorithmFor, type CryptoKey, type KeyAlgorithm, type SigningAlgorithm } from './keys.ts';
import { derToPem } from './pem.ts';
import { x509 } from './x509.ts';

const OID_CRL_NUMBER = '2.5.29.20';
const OID_CRL_REASON = '2.5.29.21';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';

export interface CrlEntry {
  serialHex: string;
  revokedAt: Date;
  /** RFC 5280 §5.3.1 CRLReason code. */
  reason: number;
}

export interface CrlOptions {
  issuerCertPem: string;
  issuerKey: CryptoKey;
  issuerAlgorithm: KeyAlgorithm;
  /** Monotonically increasing per issuer (RFC 5280 §5.2.3). */
  crlNumber: bigint | number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: CrlEntry[];
  /**
   * For a partitioned CRL: the URL certificates name as their CRL distribution point. The CRL then
   * carries an issuing distribution point with it, so relying parties use it only for those.
   */
  distributionPoint?: string;
}

/** Reason codes a full CRL may carry: 7 is unassigned, 8 (removeFromCRL) is for delta CRLs only. */
const VALID_REASONS = new Set([0, 1, 2, 3, 4, 5, 6, 9, 10]);
/** RFC 5280 §5.2.3: CRL numbers fit in 20 octets. */
const MAX_CRL_NUMBER = (1n << 159n) - 1n;

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** AlgorithmIdentifier DER for each signing algorithm (RFC 5758 §3.2, RFC 4055 §5: RSA carries NULL). */
function algorithmIdentifier(alg: SigningAlgorithm): Uint8Array {
  if (alg.name === 'RSASSA-PKCS1-v1_5') return hex('300d06092a864886f70d01010b0500');
  return hex(alg.hash === 'SHA-256' ? '300a06082a8648ce3d040302' : '300a06082a8648ce3d040303');
}

/** WebCrypto ECDSA signatures are r||s; X.509 wants ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }. */
function toX509Signature(alg: SigningAlgorithm, signature: Uint8Array): Uint8Array {
  if (alg.name !== 'ECDSA') return signature;
  const half = signature.length / 2;
  return encodeDerSequence([encodeDerUnsignedInteger(signature.subarray(0, half)), encodeDerUnsignedInteger(signature.subarray(half))]);
}

/** crlEntryExtensions holding only a reasonCode, per reason: the same bytes on every entry, encoded once. */
const reasonExtensions = new Map<number, Uint8Array>();

function reasonExtension(reason: number): Uint8Array {
  let encoded = reasonExtensions.get(reason);
  if (encoded === undefined) {
    const reasonCode = new x509.Extension(OID_CRL_REASON, false, new Uint8Array([0x0a, 0x01, reason]));
    encoded = encodeDerSequence([new Uint8Array(reasonCode.rawData)]);
    reasonExtensions.set(reason, encoded);
  }
  return encoded;
}

function encodeEntry(entry: CrlEntry): Uint8Array {
  const fields = [encodeDerUnsignedInteger(hex(entry.serialHex.length % 2 ? `0${entry.serialHex}` : entry.serialHex)), encodeDerTime(entry.revokedAt)];
  // RFC 5280 §5.3.1 / CA/B BR 7.2.2: the reasonCode extension is omitted for unspecified (0).
  if (entry.reason !== 0) fields.push(reasonExtension(entry.reason));
  return encodeDerSequence(fields);
}

/**
 * IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] { fullName [0] { URI [6] } },
 * onlyContainsUserCerts [1] TRUE } (RFC 5280 §5.2.5, implicit tags; the CHOICE tag is explicit).
 * Critical, as §5.2.5 requires: a relying party that does not understand it must not take the CRL
 * for a complete one.
 */
function issuingDistributionPoint(url: string): Uint8Array {
  const uri = encodeDer(0x86, new TextEncoder().encode(url));
  const value = encodeDerSequence([encodeDer(0xa0, encodeDer(0xa0, uri)), encodeDer(0x81, new Uint8Array([0xff]))]);
  return new Uint8Array(new x509.Extension(OID_ISSUING_DISTRIBUTION_POINT, true, value).rawData);
}

function checkOptions(opts: CrlOptions, crlNumber: bigint): void {
  if (crlNumber < 0n || crlNumber > MAX_CRL_NUMBER) throw new Error(`crlNumber ${crlNumber} is outside 0..2^159-1`);
  if (opts.nextUpdate <= opts.thisUpdate) throw new Error('nextUpdate must be after thisUpdate');
  if (opts.distributionPoint !== undefined && !/^https?:\/\/[\x21-\x7e]+$/.test(opts.distributionPoint)) {
    throw new Error(`distributionPoint "${opts.distributionPoint}" is not an http(s) URL`);
  }
  const seen = new Set<string>();
  for (const entry of opts.entries) {
    if (!VALID_REASONS.has(entry.reason)) throw new Error(`revocation reason ${entry.reason} for serial ${entry.serialHex} is not a full-CRL reason code`);
    if (!/^[0-9a-f]+$/i.test(entry.serialHex)) throw new Error(`serial "${entry.serialHex}" is not hex`);
    const key = entry.serialHex.toLowerCase().replace(/^0+(?=.)/, '');
    if (seen.has(key)) throw new Error(`serial ${entry.serialHex} is listed twice`);
    seen.add(key);
  }
}

/** Signs a CRL. Inputs come from the CA's own store, so problems are programming errors (plain Error). */
export async function generateCrl(opts: CrlOptions): Promise<{ der: Uint8Array; pem: string }> {
  const crlNumber = BigInt(opts.crlNumber);
  checkOptions(opts, crlNumber);
  const issuer = parseCertificatePem(opts.issuerCertPem, 'issuerCertPem');
  const alg = signingAlgorithmFor(opts.issuerAlgorithm);
  const crlNumberExt = new x509.Extension(OID_CRL_NUMBER, false, encodeDerInteger(crlNumber));
  const extensions = encodeDerSequence([
    new Uint8Array((await authorityKeyIdFor(issuer)).rawData), new Uint8Array(crlNumberExt.rawData),
    ...(opts.distributionPoint === undefined ? [] : [issuingDistributionPoint(opts.distributionPoint)]),
  ]);

  const tbs = encodeDerSequence([
    encodeDerInteger(1n), // v2
    algorithmIdentifier(alg),
    rawSubject(issuer),
    encodeDerTime(opts.thisUpdate),
    encodeDerTime(opts.nextUpdate),
    // revokedCertificates is omitted, not empty, when nothing is revoked (RFC 5280 §5.1.2.6).
    ...(opts.entries.length === 0 ? [] : [encodeDerSequence(opts.entries.map(encodeEntry))]),
    encodeDer(0xa0, extensions),
  ]);
  const signature = new Uint8Array(await globalThis.crypto.subtle.sign(alg, opts.issuerKey, tbs));
  const der = encodeDerSequence([tbs, algorithmIdentifier(alg), encodeDer(TAG_BIT_STRING, concatBytes([new Uint8Array([0]), toX509Signature(alg, signature)]))]);

  // The signature checked with the issuer certificate's key over the bytes just signed, not by
  // parsing the CRL again: asn1js refuses to parse more than 10,000 nodes, about 2,000 entries.
  const issuerKey = new X509Certificate(Buffer.from(issuer.rawData)).publicKey;
  if (!verify(`sha${alg.hash.slice(4)}`, tbs, { key: issuerKey, dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new Error('the CRL does not verify with the issuer certificate: issuerKey does not match issuerCertPem');
  }
  return { der, pem: derToPem(der, 'X509 CRL') };
}
