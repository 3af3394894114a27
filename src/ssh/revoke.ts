import { AppError } from '../errors.ts';
import type { SshDeps } from './deps.ts';
import { parsePublicKeyLine } from './keys.ts';
import type { SshRevocation } from './types.ts';

/** What to revoke: exactly one of a serial we issued, a key id (under every CA), or a public key (and every certificate for it). */
export interface RevokeRequest {
  serial?: string;
  keyId?: string;
  publicKey?: string;
  reason?: string;
}

function revocationOf(req: RevokeRequest, now: number): { rev: Omit<SshRevocation, 'caId'>; fingerprint?: string } {
  const given = [req.serial, req.keyId, req.publicKey].filter((v) => v !== undefined);
  if (given.length !== 1) throw new AppError('malformed', 'Revoke exactly one of "serial", "keyId" or "publicKey"');
  const reason = req.reason ?? '';
  if (typeof reason !== 'string' || reason.length > 200) throw new AppError('malformed', '"reason" must be text of at most 200 characters');
  if (req.serial !== undefined) {
    if (typeof req.serial !== 'string' || !/^\d{1,20}$/.test(req.serial) || BigInt(req.serial) === 0n || BigInt(req.serial) >= 2n ** 64n) throw new AppError('malformed', '"serial" must be a certificate serial number (decimal, as "ssh-keygen -L" prints it)');
    return { rev: { target: 'serial', value: BigInt(req.serial).toString(), reason, createdAt: now } };
  }
  if (req.keyId !== undefined) {
    if (typeof req.keyId !== 'string' || req.keyId.length === 0 || req.keyId.length > 255) throw new AppError('malformed', '"keyId" must be text of 1 to 255 characters');
    return { rev: { target: 'key-id', value: req.keyId, reason, createdAt: now } };
  }
  const key = parsePublicKeyLine(String(req.publicKey));
  return { rev: { target: 'public-key', value: key.blob.toString('base64'), reason, createdAt: now }, fingerprint: key.fingerprint };
}

/**
 * Records a revocation, marks the certificates it covers, bumps the KRL generation and appends
 * the audit record, in one transaction; the KRL is rebuilt from it by whoever looks next (the
 * `ssh-krl` duty, `GET /ssh/krl`). Revoking what is already revoked succeeds and changes nothing.
 */
export async function revokeSsh(deps: SshDeps, req: RevokeRequest, actor: string): Promise<SshRevocation & { created: boolean }> {
  const { rev, fingerprint } = revocationOf(req, deps.now());
  return deps.store.transaction(async (s) => {
    let caId: string | null = null;
    if (rev.target === 'serial') {
      const cert = await s.certificate(rev.value);
      if (!cert) throw new AppError('notFound', `No SSH certificate with serial ${rev.value} was signed here; revoke by key id or public key instead`);
      caId = cert.caId;
    }
    const full: SshRevocation = { ...rev, caId };
    const created = await s.insertRevocation(full, fingerprint);
    if (created) {
      await s.audit({
        actor, action: 'ssh.certificate-revoked', object: rev.target === 'serial' ? `ssh-certificate:${rev.value}` : `ssh-${rev.target}:${fingerprint ?? rev.value}`, outcome: 'success',
        details: { target: rev.target, ...(fingerprint ? { fingerprint } : {}), ...(rev.reason ? { reason: rev.reason } : {}) },
      });
    }
    return { ...full, created };
  });
}
