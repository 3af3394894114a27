/**
 * CA key handling. Keys live as WebCrypto CryptoKeys (what @peculiar/x509 signs with) and are
 * stored as PKCS#8 DER. node:crypto is used to inspect and convert key files, since WebCrypto
 * cannot say what a PKCS#8 blob holds or read SEC1/PKCS#1 PEM.
 */
import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';

/** WebCrypto key types (this project compiles without the DOM lib, so they come from node:crypto). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';


/** WebCrypto parameters to pass to `sign` (and to @peculiar/x509 as `signingAlgorithm`). */
export type SigningAlgorithm =
  | { name: 'ECDSA'; hash: 'SHA-256' | 'SHA-384' }
  | { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' };

export interface ImportedKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: KeyAlgorithm;
}

const EC = {
  'ecdsa-p256': { namedCurve: 'P-256', nodeCurve: 'prime256v1', hash: 'SHA-256' },
  'ecdsa-p384': { namedCurve: 'P-384', nodeCurve: 'secp384r1', hash: 'SHA-384' },
} as const;

const RSA_BITS = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 } as const;

type EcAlgorithm = keyof typeof EC;
type RsaAlgorithm = keyof typeof RSA_BITS;

function isEc(alg: KeyAlgorithm): alg is EcAlgorithm {
  return alg in EC;
}

function importParams(alg: KeyAlgorithm): webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams {
  return isEc(alg) ? { name: 'ECDSA', namedCurve: EC[alg].namedCurve } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** ECDSA hashes match the curve size (P-256/SHA-256, P-384/SHA-384); RSA signs with SHA-256. */
export function signingAlgorithmFor(alg: KeyAlgorithm): SigningAlgorithm {
  return isEc(alg) ? { name: 'ECDSA', hash: EC[alg].hash } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** A new extractable key pair (extractable so it can be stored as PKCS#8). */
export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams = isEc(alg)
    ? { name: 'ECDSA', namedCurve: EC[alg].namedCurve }
    : { name: 'RSASSA-PKCS1-v1_5', modulusLength: RSA_BITS[alg as RsaAlgorithm], publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  return globalThis.crypto.subtle.generateKey(params, true, ['sign', 'verify']);
}

export async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', key));
}

/** Which KeyAlgorithm a node KeyObject is; a plain Error naming the key and what is supported otherwise. */
function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const found = (Object.keys(EC) as EcAlgorithm[]).find((alg) => EC[alg].nodeCurve === details.namedCurve);
    if (found !== undefined) return found;
    throw new Error(`EC key on curve ${details.namedCurve ?? '(unnamed)'} is not supported; use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    const found = (Object.keys(RSA_BITS) as RsaAlgorithm[]).find((alg) => RSA_BITS[alg] === details.modulusLength);
    if (found !== undefined) return found;
    throw new Error(`RSA key of ${details.modulusLength ?? '?'} bits is not supported; use 2048, 3072 or 4096 bits`);
  }
  throw new Error(`${key.asymmetricKeyType ?? 'unknown'} keys are not supported; use ECDSA P-256/P-384 or RSA 2048/3072/4096`);
}

async function importKeyObject(keyObject: KeyObject, pkcs8: Uint8Array): Promise<ImportedKey> {
  const algorithm = keyAlgorithmOf(keyObject);
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const params = importParams(algorithm);
  const subtle = globalThis.crypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', pkcs8, params, true, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, params, true, ['verify']);
  return { privateKey, publicKey, algorithm };
}

/** Imports a PKCS#8 DER private key, detecting its algorithm and deriving the public key. */
export async function importPrivateKey(pkcs8Der: Uint8Array): Promise<ImportedKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new Error(`not an unencrypted PKCS#8 DER private key (${(err as Error).message})`, { cause: err });
  }
  return importKeyObject(keyObject, pkcs8Der);
}

/**
 * Reads a private key PEM: PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY".
 * Also returns the key as PKCS#8 DER, the form Certainty stores.
 */
export async function privateKeyFromPem(pem: string): Promise<ImportedKey & { pkcs8: Uint8Array }> {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new Error('the private key PEM is encrypted; decrypt it first, e.g. `openssl pkey -in key.pem -out key-plain.pem`');
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    throw new Error('expected a PEM "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" block');
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`the private key PEM could not be read (${(err as Error).message})`, { cause: err });
  }
  const pkcs8 = new Uint8Array(keyObject.export({ type: 'pkcs8', format: 'der' }));
  return { ...(await importKeyObject(keyObject, pkcs8)), pkcs8 };
}
