import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { AppError } from '../errors.ts';
import { verifyKeyOf, type SshPublicKey } from './keys.ts';
import { SshReader, SshWireError, SshWriter } from './wire.ts';

/** The CA key algorithms: Ed25519 (default), ECDSA P-256/P-384, RSA 3072/4096 (signing as rsa-sha2-512 only). */
export const SSH_CA_ALGORITHMS = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096'] as const;
export type SshCaAlgorithm = (typeof SSH_CA_ALGORITHMS)[number];

export function isSshCaAlgorithm(v: string): v is SshCaAlgorithm {
  return (SSH_CA_ALGORITHMS as readonly string[]).includes(v);
}

const EC: Record<string, { crv: string; curve: string; hash: string; size: number }> = {
  'ecdsa-p256': { crv: 'P-256', curve: 'nistp256', hash: 'sha256', size: 32 },
  'ecdsa-p384': { crv: 'P-384', curve: 'nistp384', hash: 'sha384', size: 48 },
};

/** A new CA key: its PKCS#8 PEM (to be wrapped by the KEK) and its SSH public key blob. */
export function generateCaKey(algorithm: SshCaAlgorithm): { privatePem: string; publicBlob: Buffer } {
  const pair = algorithm === 'ed25519'
    ? generateKeyPairSync('ed25519')
    : algorithm.startsWith('ecdsa-')
      ? generateKeyPairSync('ec', { namedCurve: (EC[algorithm] as { crv: string }).crv })
      : generateKeyPairSync('rsa', { modulusLength: Number(algorithm.slice(4)) });
  return { privatePem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicBlob: publicBlobOf(pair.publicKey, algorithm) };
}

function publicBlobOf(key: KeyObject, algorithm: SshCaAlgorithm): Buffer {
  const jwk = key.export({ format: 'jwk' });
  const b = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
  if (algorithm === 'ed25519') return new SshWriter().string('ssh-ed25519').string(b(jwk.x)).toBuffer();
  const ec = EC[algorithm];
  if (ec) return new SshWriter().string(`ecdsa-sha2-${ec.curve}`).string(ec.curve).string(Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)])).toBuffer();
  return new SshWriter().string('ssh-rsa').mpint(b(jwk.e)).mpint(b(jwk.n)).toBuffer();
}

/** A loaded CA key that signs SSH certificate bodies. */
export interface SshSigner {
  algorithm: SshCaAlgorithm;
  publicBlob: Buffer;
  /** The SSH signature blob (`string algorithm, string signature`) over `data`. */
  sign(data: Buffer): Buffer;
}

export function loadSigner(algorithm: SshCaAlgorithm, privatePem: string | Buffer): SshSigner {
  const key = createPrivateKey(privatePem);
  const publicBlob = publicBlobOf(createPublicKey(key), algorithm);
  return { algorithm, publicBlob, sign: (data) => signatureBlob(algorithm, key, data) };
}

function signatureBlob(algorithm: SshCaAlgorithm, key: KeyObject, data: Buffer): Buffer {
  if (algorithm === 'ed25519') return new SshWriter().string('ssh-ed25519').string(sign(null, data, key)).toBuffer();
  const ec = EC[algorithm];
  if (ec) {
    // PROTOCOL.certkeys / RFC 5656 §3.1.2: r and s as two mpints inside the signature string.
    const rs = sign(ec.hash, data, { key, dsaEncoding: 'ieee-p1363' });
    const inner = new SshWriter().mpint(rs.subarray(0, ec.size)).mpint(rs.subarray(ec.size)).toBuffer();
    return new SshWriter().string(`ecdsa-sha2-${ec.curve}`).string(inner).toBuffer();
  }
  // RFC 8332: rsa-sha2-512; never ssh-rsa (SHA-1), which OpenSSH refuses by default since 8.8.
  return new SshWriter().string('rsa-sha2-512').string(sign('sha512', data, key)).toBuffer();
}

/** Whether `signature` (an SSH signature blob) is `key`'s valid signature over `data`; never throws for bad input. */
export function verifySshSignature(key: SshPublicKey, signature: Buffer, data: Buffer): boolean {
  try {
    const r = new SshReader(signature);
    const alg = r.text();
    const sig = r.string();
    r.end('signature');
    const { key: pub } = verifyKeyOf(key);
    if (key.type === 'ssh-ed25519') return alg === 'ssh-ed25519' && verify(null, data, pub, sig);
    if (key.type.startsWith('ecdsa-sha2-')) {
      if (alg !== key.type) return false;
      const size = Math.ceil(key.bits / 8);
      const inner = new SshReader(sig);
      const pad = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(Math.max(0, size - b.length)), b]);
      const rs = Buffer.concat([pad(inner.mpint()), pad(inner.mpint())]);
      const hash = key.bits === 256 ? 'sha256' : key.bits === 384 ? 'sha384' : 'sha512';
      return verify(hash, data, { key: pub, dsaEncoding: 'ieee-p1363' }, rs);
    }
    if (key.type === 'ssh-rsa') {
      const hash = alg === 'rsa-sha2-512' ? 'sha512' : alg === 'rsa-sha2-256' ? 'sha256' : undefined;
      return hash !== undefined && verify(hash, data, pub, sig);
    }
    return false;
  } catch (err) {
    if (err instanceof SshWireError || err instanceof AppError) return false;
    throw err;
  }
}

/** The algorithm name inside a signature blob, e.g. `rsa-sha2-512`. */
export function signatureAlgorithm(signature: Buffer): string {
  return new SshReader(signature).text();
}

