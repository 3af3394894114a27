import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AppError } from '../errors.ts';
import { SshReader, SshWireError } from './wire.ts';

/** The key families a role may accept; `sk-*` security-key variants count as their family. */
export const SSH_KEY_FAMILIES = ['ed25519', 'ecdsa', 'rsa'] as const;
export type SshKeyFamily = (typeof SSH_KEY_FAMILIES)[number];

/** A plain (not certificate) SSH public key, as in an authorized_keys line. */
export interface SshPublicKey {
  /** The wire type name, e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
  type: string;
  family: SshKeyFamily;
  bits: number;
  /** The whole wire blob (type name included). */
  blob: Buffer;
  /** The fields after the type name: what a certificate carries for the key (PROTOCOL.certkeys). */
  fields: Buffer;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

const CURVES: Record<string, { crv: string; bits: number; hash: string }> = {
  nistp256: { crv: 'P-256', bits: 256, hash: 'sha256' },
  nistp384: { crv: 'P-384', bits: 384, hash: 'sha384' },
  nistp521: { crv: 'P-521', bits: 521, hash: 'sha512' },
};

const bad = (detail: string): AppError => new AppError('badPublicKey', detail);

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses one `type base64 [comment]` line; every refusal says what was wrong. */
export function parsePublicKeyLine(line: string): SshPublicKey {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || parts[0] === '') throw bad('The public key must be one line "TYPE BASE64 [COMMENT]", as in a .pub file');
  const [type, b64] = parts as [string, string];
  if (type.includes('-cert-v01@openssh.com')) throw bad('This is a certificate, not a public key: send the .pub key the certificate is for');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad('The public key\'s second field is not base64');
  const key = parsePublicKeyBlob(Buffer.from(b64, 'base64'));
  if (key.type !== type) throw bad(`The key line says ${type} but its data is ${key.type}`);
  return key;
}

/** Parses a wire public key blob (type name first). */
export function parsePublicKeyBlob(blob: Buffer): SshPublicKey {
  const r = new SshReader(blob);
  try {
    const type = r.text();
    const start = blob.length - r.remaining;
    const { family, bits } = readKeyFields(type, r);
    r.end('public key');
    return { type, family, bits, blob, fields: blob.subarray(start), fingerprint: fingerprintOf(blob) };
  } catch (err) {
    if (err instanceof SshWireError) throw bad(`The public key data is malformed: ${err.message}`);
    throw err;
  }
}

function readKeyFields(type: string, r: SshReader): { family: SshKeyFamily; bits: number } {
  switch (type) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com': {
      if (r.string().length !== 32) throw bad('An Ed25519 public key must be 32 bytes');
      if (type.startsWith('sk-')) r.text();
      return { family: 'ed25519', bits: 256 };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = r.text();
      const spec = CURVES[curve];
      if (spec === undefined || !type.includes(curve)) throw bad(`The ECDSA key names curve "${curve}", which does not match its type ${type}`);
      const point = r.string();
      if (point[0] !== 4 || point.length !== 1 + 2 * Math.ceil(spec.bits / 8)) throw bad('The ECDSA public point is not an uncompressed point of its curve');
      if (type.startsWith('sk-')) r.text();
      return { family: 'ecdsa', bits: spec.bits };
    }
    case 'ssh-rsa': {
      r.mpint();
      const n = r.mpint();
      const bits = n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0] as number));
      return { family: 'rsa', bits };
    }
    case 'ssh-dss':
      throw bad('DSA keys are refused (OpenSSH disabled them in 7.0): use an Ed25519 key (ssh-keygen -t ed25519)');
    default:
      throw bad(`Unsupported key type "${type}": use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa`);
  }
}

/** A node:crypto key for verifying signatures made by `key` (plain, non-security-key types only). */
export function verifyKeyOf(key: SshPublicKey): { key: KeyObject; hash: string | null } {
  const r = new SshReader(key.fields);
  const b64 = (b: Buffer): string => b.toString('base64url');
  if (key.type === 'ssh-ed25519') return { key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(r.string()) }, format: 'jwk' }), hash: null };
  if (key.type.startsWith('ecdsa-sha2-')) {
    const spec = CURVES[r.text()] as { crv: string; bits: number; hash: string };
    const point = r.string();
    const n = (point.length - 1) / 2;
    return { key: createPublicKey({ key: { kty: 'EC', crv: spec.crv, x: b64(point.subarray(1, 1 + n)), y: b64(point.subarray(1 + n)) }, format: 'jwk' }), hash: spec.hash };
  }
  if (key.type === 'ssh-rsa') {
    const e = r.mpint();
    return { key: createPublicKey({ key: { kty: 'RSA', e: b64(e), n: b64(r.mpint()) }, format: 'jwk' }), hash: 'sha512' };
  }
  throw bad(`Signatures by ${key.type} keys cannot be checked here`);
}

/** The authorized_keys form of a blob: `type base64 [comment]`. */
export function publicKeyLine(blob: Buffer, comment?: string): string {
  const type = new SshReader(blob).text();
  return `${type} ${blob.toString('base64')}${comment === undefined ? '' : ` ${comment}`}`;
}
