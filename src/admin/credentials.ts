/** What EAB keys and admin tokens share: created, listed and revoked the same way, with audit records. */
import type { AuditEvent } from '../audit/log.ts';
import type { CredentialRecord, CredentialStore } from './store.ts';

/** A credential as listed: ISO creation time and a revoked flag instead of the timestamps. */
export type Listed<L extends CredentialRecord> = Omit<L, 'revokedAt' | 'createdAt'> & { createdAt: string; revoked: boolean };

/** Inserts the credential and its audit record in one transaction. */
export async function createCredential<N, L extends CredentialRecord>(store: CredentialStore<N, L>, credential: N, event: AuditEvent): Promise<void> {
  await store.transaction(async (s) => {
    await s.insert(credential);
    await s.audit(event);
  });
}

export async function listCredentials<N, L extends CredentialRecord>(store: CredentialStore<N, L>): Promise<Array<Listed<L>>> {
  return (await store.list()).map((r) => {
    const { revokedAt, ...rest } = r;
    // Spreading `rest` keeps each field where the store put it; createdAt is overwritten in place.
    return { ...rest, createdAt: new Date(r.createdAt).toISOString(), revoked: revokedAt !== null } as Listed<L>;
  });
}

/** Revokes the credential and records it in one transaction; false when there is no unrevoked credential `id`. */
export function revokeCredential<N, L extends CredentialRecord>(store: CredentialStore<N, L>, id: string, at: number, event: AuditEvent): Promise<boolean> {
  return store.transaction(async (s) => {
    if (!(await s.revoke(id, at))) return false;
    await s.audit(event);
    return true;
  });
}
