/**
 * The one revocation use case, for subscribers (ACME revokeCert, src/acme/revoke.ts) and operators
 * (CLI and admin API, src/admin/service.ts): each checks who may revoke, then calls this.
 */
import { AppError } from '../errors.ts';
import { crlShardOf } from './crl-shards.ts';
import type { RevocationStore } from './store.ts';

/** CRLReason codes that may be given (RFC 5280 §5.3.1; RFC 8555 §7.6). */
const ALLOWED_REASONS = [0, 1, 3, 4, 5] as const;

/** The reason as a CRLReason code, or badRevocationReason. */
export function checkRevocationReason(reason: unknown): number {
  if (typeof reason !== 'number' || !(ALLOWED_REASONS as readonly number[]).includes(reason)) {
    throw new AppError('badRevocationReason', `Revocation reason ${String(reason)} is not allowed; use one of ${ALLOWED_REASONS.join(', ')}`);
  }
  return reason;
}

export interface RevocationDeps {
  store: RevocationStore;
  /** Brings a CRL (the issuer-wide one, or one shard's) up to date with every committed revocation (src/ca/authority.ts). */
  crl: { updateCrl(shard?: number): Promise<unknown> };
  now: () => number;
}

export interface Revocation {
  certificate: { id: string; serial: string; der: Buffer; revokedAt: number | null };
  /** A CRLReason code, already checked (checkRevocationReason). */
  reason: number;
  /** Who revokes, as the audit log names them (`account:<id>`, `certificate-key`, `cli:<user>`, `admin-api`). */
  actor: string;
}

/**
 * Revokes the certificate. In the same transaction its issuer's revocation generation is bumped,
 * the job that puts it on the CRL is queued and the audit record appended: a revocation commits
 * only together with the work that publishes it, so a crash right after the commit still gets it
 * onto the CRL. The CRL is then also rebuilt here, for freshness only: when that fails the
 * revocation stands and the error is returned (the queued job publishes it).
 */
export async function revokeCertificate(deps: RevocationDeps, r: Revocation): Promise<{ crlError: Error | undefined }> {
  const { id, serial } = r.certificate;
  const alreadyRevoked = (): AppError => new AppError('alreadyRevoked', `Certificate ${serial} was already revoked`);
  if (r.certificate.revokedAt !== null) throw alreadyRevoked();
  // The shard the certificate's own CRL distribution point names (src/ca/crl-shards.ts).
  const shard = crlShardOf(r.certificate.der);
  await deps.store.transaction(async (store) => {
    const issuerId = await store.markRevoked(id, deps.now(), r.reason, shard);
    if (issuerId === undefined) throw alreadyRevoked();
    // Every revocation bumps the issuer's generation (the complete CRL covers all shards); one in
    // a shard also bumps that shard's, and only that shard's CRL is rebuilt by the job.
    const generation = await store.bumpRevocationGeneration(issuerId);
    await store.queueCrlJob(issuerId, shard === null ? generation : await store.bumpShardGeneration(issuerId, shard), shard);
    await store.audit({ actor: r.actor, action: 'certificate.revoked', object: `certificate:${serial}`, outcome: 'success', details: { reason: r.reason } });
  });
  try {
    await deps.crl.updateCrl(shard ?? undefined);
    return { crlError: undefined };
  } catch (err) {
    return { crlError: err instanceof Error ? err : new Error(String(err)) };
  }
}
