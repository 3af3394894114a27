import { constants, createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { AppError } from '../errors.ts';

/** JWS algorithms accepted on ACME requests (RFC 8555 §6.2: no "none", no MAC). */
const SUPPORTED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

export interface ProtectedHeader {
  alg: string;
  nonce?: unknown;
  url?: unknown;
  jwk?: JWK;
  kid?: unknown;
  [k: string]: unknown;
}

/** Checks the flattened JSON serialisation shape (RFC 8555 §6.2, RFC 7515 §7.2.2). */
export function parseFlattenedJws(body: Buffer): FlattenedJws {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('malformed', 'The request body is not valid JSON; expected a flattened JWS');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('malformed', 'The request body must be a flattened JWS JSON object');
  }
  const v = value as Record<string, unknown>;
  if ('signatures' in v) throw new AppError('malformed', 'JWS with multiple signatures (general serialisation) is not allowed; use the flattened form');
  if ('header' in v) throw new AppError('malformed', 'The JWS unprotected header is not allowed');
  for (const field of ['protected', 'payload', 'signature'] as const) {
    if (typeof v[field] !== 'string') throw new AppError('malformed', `The JWS has no "${field}" string`);
  }
  return { protected: v.protected as string, payload: v.payload as string, signature: v.signature as string };
}

export function decodeProtectedHeader(jws: FlattenedJws): ProtectedHeader {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('malformed', 'The JWS protected header is not base64url-encoded JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new AppError('malformed', 'The JWS protected header must be a JSON object');
  }
  const h = header as ProtectedHeader;
  if (typeof h.alg !== 'string') throw new AppError('malformed', 'The JWS protected header has no "alg"');
  if (!(SUPPORTED_ALGS as readonly string[]).includes(h.alg)) {
    throw new AppError('badSignatureAlgorithm', `JWS algorithm "${h.alg}" is not supported; use one of ${SUPPORTED_ALGS.join(', ')}`);
  }
  if (h.b64 !== undefined) throw new AppError('malformed', 'The "b64" header parameter is not allowed');
  // RFC 7515 §4.1.11: a "crit" extension the server does not understand makes the JWS invalid. ACME
  // uses none, so any "crit" is a malformed request, not an algorithm problem.
  if (h.crit !== undefined) {
    throw new AppError('malformed', `The JWS "crit" header names extensions this server does not support (${JSON.stringify(h.crit).slice(0, 100)}); remove it`);
  }
  return h;
}

/** Rejects JWKs that are not usable public keys of an accepted type and size. */
export function checkAccountJwk(jwk: unknown): JWK {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new AppError('malformed', 'The "jwk" header must be a JSON object');
  const k = jwk as JWK;
  if ('d' in k || 'p' in k || 'k' in k) throw new AppError('badPublicKey', 'The "jwk" header must hold a public key, not a private or symmetric one');
  if (k.kty === 'RSA') {
    const bits = typeof k.n === 'string' ? Buffer.from(k.n, 'base64url').length * 8 : 0;
    if (bits < 2048 || bits > 8192) throw new AppError('badPublicKey', `RSA account keys must be 2048 to 8192 bits (this one is ${bits})`);
    // The same rule as certificate keys (src/ca/csr.ts): small exponents such as 3 invite
    // signature forgery against lax verifiers, and every mainstream client uses 65537.
    const e = typeof k.e === 'string' ? BigInt(`0x0${Buffer.from(k.e, 'base64url').toString('hex')}`) : 0n;
    if (e !== 65537n) throw new AppError('badPublicKey', `RSA account keys must have the public exponent 65537 (this one has ${e < 2n ** 64n ? e : 'a larger one'})`);
  } else if (k.kty === 'EC') {
    if (!['P-256', 'P-384', 'P-521'].includes(String(k.crv))) throw new AppError('badPublicKey', `EC curve ${String(k.crv)} is not accepted; use P-256, P-384 or P-521`);
  } else if (k.kty === 'OKP') {
    if (k.crv !== 'Ed25519') throw new AppError('badPublicKey', `OKP curve ${String(k.crv)} is not accepted; use Ed25519`);
  } else {
    throw new AppError('badPublicKey', `Key type ${String(k.kty)} is not accepted; use EC, RSA or Ed25519`);
  }
  return k;
}

/** How each accepted alg verifies with node:crypto (RFC 7518 §3): hash, key type, EC curve, padding. */
interface AlgSpec {
  hash: string | null;
  keyType: 'rsa' | 'ec' | 'ed25519';
  curve?: string;
  pss?: boolean;
}

const ALG_SPECS: Readonly<Record<string, AlgSpec>> = {
  RS256: { hash: 'sha256', keyType: 'rsa' }, RS384: { hash: 'sha384', keyType: 'rsa' }, RS512: { hash: 'sha512', keyType: 'rsa' },
  PS256: { hash: 'sha256', keyType: 'rsa', pss: true }, PS384: { hash: 'sha384', keyType: 'rsa', pss: true },
  PS512: { hash: 'sha512', keyType: 'rsa', pss: true },
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' }, ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' },
  EdDSA: { hash: null, keyType: 'ed25519' },
};

/** RFC 7515 §2: base64url without padding; Buffer's decoder would silently skip anything else. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** The key checked against the alg: a key of another type is the wrong alg, a wrong curve an unusable key. */
function keyFor(jwk: JWK, alg: string, spec: AlgSpec): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (err) {
    throw new AppError('badPublicKey', `The JWK is not a valid public key: ${(err as Error).message}`, { cause: err });
  }
  if (key.asymmetricKeyType !== spec.keyType) {
    throw new AppError('badSignatureAlgorithm', `JWS algorithm "${alg}" does not fit the key type ${String(jwk.kty)}`);
  }
  if (spec.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== spec.curve) {
    throw new AppError('badPublicKey', `The key cannot be used with "${alg}": it is on curve ${String(jwk.crv)}`);
  }
  return key;
}

/**
 * Verifies JWS signatures with node:crypto on decoded KeyObjects kept by JWK and alg: decoding a
 * key costs more than verifying, and WebCrypto's asynchronous jobs cost more than the signature
 * check itself. One per server (AcmeDeps.jws), so servers in one process share nothing.
 */
export class JwsVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly cacheSize = 10_000) {}

  private keyCached(jwk: JWK, alg: string, spec: AlgSpec): KeyObject {
    const id = `${alg}:${jwk.kty ?? ''}:${jwk.crv ?? ''}:${jwk.x ?? ''}:${jwk.y ?? ''}:${jwk.n ?? ''}:${jwk.e ?? ''}`;
    let key = this.keys.get(id);
    if (key === undefined) {
      key = keyFor(jwk, alg, spec);
      if (this.keys.size >= this.cacheSize) this.keys.delete(this.keys.keys().next().value as string);
      this.keys.set(id, key);
    }
    return key;
  }

  /** Verifies the signature with `jwk`; returns the raw payload bytes. */
  async verify(jws: FlattenedJws, jwk: JWK, alg: string): Promise<Buffer> {
    const spec = ALG_SPECS[alg];
    if (spec === undefined) throw new AppError('badSignatureAlgorithm', `JWS algorithm "${alg}" is not supported; use one of ${SUPPORTED_ALGS.join(', ')}`);
    const key = this.keyCached(jwk, alg, spec);
    if (!BASE64URL.test(jws.payload) || !BASE64URL.test(jws.signature) || !BASE64URL.test(jws.protected)) {
      throw new AppError('malformed', 'The JWS could not be verified: it is malformed (protected, payload and signature must be base64url without padding)');
    }
    const input = Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');
    const signature = Buffer.from(jws.signature, 'base64url');
    const options = spec.keyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const }
      : spec.pss === true ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : key;
    let ok: boolean;
    try {
      ok = verify(spec.hash, input, options, signature);
    } catch {
      ok = false;
    }
    if (!ok) throw new AppError('malformed', 'JWS verification error: the signature does not match the key');
    return Buffer.from(jws.payload, 'base64url');
  }
}

/** The public members of a JWK (RFC 7638 §3.2 required members only), as stored on accounts. */
export function publicJwk(jwk: JWK): Record<string, unknown> {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
}

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'], oct: ['k', 'kty'],
};

/**
 * The RFC 7638 SHA-256 thumbprint, base64url. Hashed with node:crypto: WebCrypto's digest (as in
 * jose's calculateJwkThumbprint) costs ten times more for a few hundred bytes. Rejects, as jose
 * does, a key type without a thumbprint definition or a required member that is not a string.
 */
export async function thumbprint(jwk: JWK): Promise<string> {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)];
  if (members === undefined) throw new TypeError(`JWK "kty" ${String(jwk.kty)} has no thumbprint definition`);
  const canonical: Record<string, string> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value !== 'string' || value === '') throw new TypeError(`JWK member "${member}" must be a non-empty string`);
    canonical[member] = value;
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/** Parses a JWS payload as a JSON object ('' for POST-as-GET is handled by the caller). */
export function parsePayload(payload: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new AppError('malformed', 'The JWS payload is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('malformed', 'The JWS payload must be a JSON object');
  return value as Record<string, unknown>;
}
