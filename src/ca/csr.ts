/**
 * PKCS#10 CSR parsing for ACME finalize (RFC 8555 §7.4). The CSR is client input: every problem
 * becomes an AppError (badCSR, or badPublicKey for the key) whose detail says what to change.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AppError } from '../errors.ts';
import { commonNames, readCsrStructure, requestedExtensions, signatureAlgorithm, uncompressedEcJwk, type CsrStructure } from './csr-der.ts';
import { canonicalIp } from './ip.ts';
import { decodeSubjectAltName } from './san.ts';

type EcCurve = 'P-256' | 'P-384' | 'P-521';

export interface CsrPublicKey {
  /** SubjectPublicKeyInfo DER, ready for issueCertificate. */
  spkiDer: Uint8Array;
  kind: 'ec' | 'rsa';
  curve?: EcCurve;
  rsaBits?: number;
  rsaPublicExponent?: bigint;
}

export interface ParsedCsr {
  /** dNSName SANs, lowercased, de-duplicated, in CSR order. */
  dnsNames: string[];
  /** iPAddress SANs in canonical text (see canonicalIp), de-duplicated. */
  ipAddresses: string[];
  /** The subject CN: canonical IP text if it is an address, else lowercased. */
  commonName: string | undefined;
  publicKey: CsrPublicKey;
  /** The same key, decoded once (callers compare or export it without decoding it again). */
  key: KeyObject;
  der: Uint8Array;
}

export interface KeyPolicy {
  allowEc: EcCurve[];
  minRsaBits: number;
  maxRsaBits: number;
}

const NODE_CURVES: Readonly<Record<string, EcCurve>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const ACCEPTED_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);
/** OID contents of subjectAltName (2.5.29.17). */
const OID_SAN = Buffer.from('551d11', 'hex');

const badCsr = (detail: string, cause?: unknown): AppError => new AppError('badCSR', detail, cause === undefined ? {} : { cause });

function decodePublicKey(spkiDer: Uint8Array): KeyObject {
  try {
    const jwk = uncompressedEcJwk(spkiDer);
    return jwk === undefined ? createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }) : createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw new AppError('badPublicKey', 'The CSR public key could not be decoded (invalid SubjectPublicKeyInfo or EC point)', { cause: err });
  }
}

function describePublicKey(spkiDer: Uint8Array, key: KeyObject): CsrPublicKey {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = NODE_CURVES[details.namedCurve ?? ''];
    if (curve === undefined) throw new AppError('badPublicKey', `ECDSA keys on curve ${details.namedCurve ?? '(unnamed)'} are not supported; use P-256 or P-384`);
    return { spkiDer, kind: 'ec', curve };
  }
  if (key.asymmetricKeyType === 'rsa') {
    return { spkiDer, kind: 'rsa', rsaBits: details.modulusLength ?? 0, rsaPublicExponent: details.publicExponent ?? 0n };
  }
  throw new AppError('badPublicKey', `${key.asymmetricKeyType ?? 'Unknown'} keys are not supported; use an ECDSA (P-256, P-384) or RSA key`);
}

/**
 * Verifies the CSR's self-signature with node:crypto and the key already decoded (importing it
 * again through WebCrypto costs several times more).
 */
function verifySignature(csr: CsrStructure, key: KeyObject): void {
  let algorithm;
  try {
    algorithm = signatureAlgorithm(csr);
  } catch (err) {
    throw badCsr('The CSR signature algorithm could not be read', err);
  }
  const hash = algorithm.hash;
  if (algorithm.scheme === undefined || hash === undefined || !ACCEPTED_HASHES.has(hash)) {
    throw badCsr(`The CSR is signed with ${hash ?? 'an unsupported algorithm'}; sign it with ECDSA or RSA using SHA-256, SHA-384 or SHA-512`);
  }
  const digest = hash.replace('-', '').toLowerCase();
  let ok: boolean;
  try {
    switch (algorithm.scheme) {
      case 'ECDSA':
        ok = key.asymmetricKeyType === 'ec' && verify(digest, csr.tbs, { key, dsaEncoding: 'der' }, csr.signature);
        break;
      case 'RSASSA-PKCS1-v1_5':
        ok = key.asymmetricKeyType === 'rsa' && verify(digest, csr.tbs, key, csr.signature);
        break;
      case 'RSA-PSS': {
        const saltLength = algorithm.saltLength ?? constants.RSA_PSS_SALTLEN_AUTO;
        ok = key.asymmetricKeyType === 'rsa' && verify(digest, csr.tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, csr.signature);
        break;
      }
    }
  } catch {
    ok = false;
  }
  if (!ok) throw badCsr('CSR signature does not verify');
}

function readNames(csr: CsrStructure): { dnsNames: string[]; ipAddresses: string[] } {
  let sans;
  try {
    sans = requestedExtensions(csr.attributes, OID_SAN);
  } catch (err) {
    throw badCsr('The CSR extensionRequest attribute could not be parsed', err);
  }
  if (sans.length > 1) throw badCsr('The CSR has more than one subjectAltName extension; put all names in one');
  const dnsNames = new Set<string>();
  const ipAddresses = new Set<string>();
  const [san] = sans;
  if (san === undefined) return { dnsNames: [], ipAddresses: [] };
  let entries;
  try {
    entries = decodeSubjectAltName(san);
  } catch (err) {
    throw badCsr(`The CSR subjectAltName extension is malformed: ${(err as Error).message}`, err);
  }
  for (const entry of entries) {
    if (entry.type === 'other') throw badCsr(`The CSR requests a ${entry.form} subjectAltName; only DNS names and IP addresses can be issued`);
    if (entry.type === 'dns') dnsNames.add(entry.value.toLowerCase());
    else ipAddresses.add(entry.value);
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

function readCommonName(csr: CsrStructure): string | undefined {
  const cns = commonNames(csr.subject);
  if (cns.length > 1) throw badCsr('The CSR subject has more than one commonName; use at most one');
  const [cn] = cns;
  if (cn === undefined) return undefined;
  return canonicalIp(cn) ?? cn.toLowerCase();
}

/** Parses and verifies a DER PKCS#10 CSR (the `csr` of a finalize request, base64url-decoded). */
export async function parseCsr(der: Uint8Array): Promise<ParsedCsr> {
  let csr: CsrStructure;
  try {
    csr = readCsrStructure(der);
  } catch (err) {
    throw badCsr('The CSR is not a DER-encoded PKCS#10 certification request (RFC 2986); send the DER bytes, base64url-encoded without PEM armour', err);
  }
  const spkiDer = new Uint8Array(csr.spki);
  const key = decodePublicKey(spkiDer);
  const publicKey = describePublicKey(spkiDer, key);
  verifySignature(csr, key);
  let commonName: string | undefined;
  try {
    commonName = readCommonName(csr);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badCsr('The CSR subject could not be parsed', err);
  }
  return { ...readNames(csr), commonName, publicKey, key, der };
}

/**
 * Applies the server's key policy (badPublicKey naming the key and what is accepted). RSA keys must
 * also have an odd public exponent of at least 65537 and a size that is a multiple of 8 bits.
 */
export function checkKeyPolicy(pk: CsrPublicKey, policy: KeyPolicy): void {
  const rsaRange = `RSA ${policy.minRsaBits}-${policy.maxRsaBits} bits`;
  const ecList = policy.allowEc.length === 0 ? '' : `ECDSA ${policy.allowEc.join(', ')}`;
  const accepted = [ecList, rsaRange].filter((s) => s !== '').join(' or ');
  if (pk.kind === 'ec') {
    if (pk.curve === undefined || !policy.allowEc.includes(pk.curve)) {
      throw new AppError('badPublicKey', `ECDSA ${pk.curve ?? 'unknown-curve'} keys are not accepted; use ${accepted}`);
    }
    return;
  }
  const bits = pk.rsaBits ?? 0;
  if (bits < policy.minRsaBits || bits > policy.maxRsaBits || bits % 8 !== 0) {
    throw new AppError('badPublicKey', `RSA ${bits}-bit keys are not accepted; use ${accepted}`);
  }
  const e = pk.rsaPublicExponent;
  if (e !== undefined && (e < 65537n || e % 2n === 0n)) {
    throw new AppError('badPublicKey', `RSA public exponent ${e} is not accepted; use 65537`);
  }
}
