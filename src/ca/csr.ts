/**
 * PKCS#10 CSR parsing for ACME finalize (RFC 8555 §7.4). The CSR is client input: every problem
 * becomes an AppError (badCSR, or badPublicKey for the key) whose detail says what to change.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AppError } from '../errors.ts';
import { readDerChildren, readDerExact, TAG_BIT_STRING } from './der.ts';
import { canonicalIp } from './ip.ts';
import { decodeSubjectAltName, OID_SUBJECT_ALT_NAME } from './san.ts';
import { x509 } from './x509.ts';

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
const OID_COMMON_NAME = '2.5.4.3';

const badCsr = (detail: string, cause?: unknown): AppError => new AppError('badCSR', detail, cause === undefined ? {} : { cause });

function decodePublicKey(spkiDer: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
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

function hashName(algorithm: { hash?: unknown }): string | undefined {
  const hash = algorithm.hash;
  if (typeof hash === 'string') return hash.toUpperCase();
  if (typeof hash === 'object' && hash !== null && 'name' in hash && typeof hash.name === 'string') return hash.name.toUpperCase();
  return undefined;
}

type Csr = InstanceType<typeof x509.Pkcs10CertificateRequest>;

/**
 * Verifies the CSR's self-signature with node:crypto and the key already decoded: going through
 * WebCrypto (the library's csr.verify()) imports the key a second time and costs several times more.
 */
function verifySignature(csr: Csr, der: Uint8Array, key: KeyObject): void {
  let hash: string | undefined;
  try {
    hash = hashName(csr.signatureAlgorithm as { hash?: unknown });
  } catch (err) {
    throw badCsr('The CSR signature algorithm could not be read', err);
  }
  if (hash === undefined || !ACCEPTED_HASHES.has(hash)) {
    throw badCsr(`The CSR is signed with ${hash ?? 'an unsupported algorithm'}; sign it with ECDSA or RSA using SHA-256, SHA-384 or SHA-512`);
  }
  let ok: boolean;
  try {
    ok = verifyWith(csr, der, key, hash.replace('-', '').toLowerCase());
  } catch {
    ok = false;
  }
  if (!ok) throw badCsr('CSR signature does not verify');
}

/** RFC 2986 §4.2: CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }. */
function verifyWith(csr: Csr, der: Uint8Array, key: KeyObject, hash: string): boolean {
  const algorithm = csr.signatureAlgorithm as { name?: unknown; saltLength?: unknown };
  const outer = readDerExact(der).value;
  const [info, , bits] = readDerChildren(outer);
  if (info === undefined || bits?.tag !== TAG_BIT_STRING || bits.value[0] !== 0) return false;
  const tbs = outer.subarray(info.start, info.end);
  const signature = bits.value.subarray(1);
  switch (algorithm.name) {
    case 'ECDSA':
      return key.asymmetricKeyType === 'ec' && verify(hash, tbs, { key, dsaEncoding: 'der' }, signature);
    case 'RSASSA-PKCS1-v1_5':
      return key.asymmetricKeyType === 'rsa' && verify(hash, tbs, key, signature);
    case 'RSA-PSS': {
      const saltLength = typeof algorithm.saltLength === 'number' ? algorithm.saltLength : constants.RSA_PSS_SALTLEN_AUTO;
      return key.asymmetricKeyType === 'rsa' && verify(hash, tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
    }
    default:
      return false;
  }
}

function readNames(csr: Csr): { dnsNames: string[]; ipAddresses: string[] } {
  let sans;
  try {
    sans = csr.extensions.filter((e) => e.type === OID_SUBJECT_ALT_NAME);
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
    entries = decodeSubjectAltName(new Uint8Array(san.value));
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

function readCommonName(csr: Csr): string | undefined {
  const cns = csr.subjectName.getField(OID_COMMON_NAME);
  if (cns.length > 1) throw badCsr('The CSR subject has more than one commonName; use at most one');
  const [cn] = cns;
  if (cn === undefined) return undefined;
  return canonicalIp(cn) ?? cn.toLowerCase();
}

/** Parses and verifies a DER PKCS#10 CSR (the `csr` of a finalize request, base64url-decoded). */
export async function parseCsr(der: Uint8Array): Promise<ParsedCsr> {
  let csr: Csr;
  try {
    readDerExact(der);
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (err) {
    throw badCsr('The CSR is not a DER-encoded PKCS#10 certification request (RFC 2986); send the DER bytes, base64url-encoded without PEM armour', err);
  }
  let publicKey: CsrPublicKey;
  let key: KeyObject;
  try {
    const spkiDer = new Uint8Array(csr.publicKey.rawData);
    key = decodePublicKey(spkiDer);
    publicKey = describePublicKey(spkiDer, key);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badCsr('The CSR public key could not be read', err);
  }
  verifySignature(csr, der, key);
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
