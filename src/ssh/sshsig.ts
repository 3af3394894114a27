import { createHash } from 'node:crypto';
import type { SshPublicKey } from './keys.ts';
import { verifySshSignature } from './signer.ts';
import { SshReader, SshWireError, SshWriter } from './wire.ts';

const PREAMBLE = Buffer.from('SSHSIG');

/**
 * Whether `armored` (what `ssh-keygen -Y sign -n NAMESPACE` writes) is `key`'s signature over
 * `message` in `namespace` (PROTOCOL.sshsig). Any malformation is simply "no".
 */
export function verifySshSig(armored: string, key: SshPublicKey, namespace: string, message: Buffer): boolean {
  const m = /-----BEGIN SSH SIGNATURE-----([A-Za-z0-9+/=\s]+)-----END SSH SIGNATURE-----/.exec(armored);
  if (!m) return false;
  try {
    const r = new SshReader(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'));
    if (!r.take(6).equals(PREAMBLE) || r.uint32() !== 1) return false;
    const publicKey = r.string();
    const ns = r.text();
    const reserved = r.string();
    const hash = r.text();
    const signature = r.string();
    r.end('SSH signature');
    if (!publicKey.equals(key.blob) || ns !== namespace || (hash !== 'sha256' && hash !== 'sha512')) return false;
    const signed = new SshWriter().raw(PREAMBLE).string(ns).string(reserved).string(hash).string(createHash(hash).update(message).digest()).toBuffer();
    return verifySshSignature(key, signature, signed);
  } catch (err) {
    if (err instanceof SshWireError) return false;
    throw err;
  }
}
