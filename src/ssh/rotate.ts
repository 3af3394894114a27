import { AppError } from '../errors.ts';
import type { SshCertKind } from './certificate.ts';
import type { SshDeps } from './deps.ts';
import type { SshCa } from './types.ts';

/**
 * Moves signing to the standby CA of `kind`: it becomes `active`, the old active one `retiring`
 * (still trusted, so certificates it signed keep working until they expire or it is retired).
 */
export async function rotateCa(deps: SshDeps, kind: SshCertKind, actor: string): Promise<{ active: SshCa; retiring: SshCa | undefined }> {
  return deps.store.transaction(async (s) => {
    const cas = await s.cas(kind);
    const standby = cas.filter((c) => c.status === 'standby').sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!standby) throw new AppError('conflict', `No standby ${kind} CA to rotate to: run "certainty ssh ca create --kind ${kind}", distribute the new trust lines ("certainty ssh config"), then rotate`);
    const old = cas.find((c) => c.status === 'active');
    if (old && !(await s.setCaStatus(old, 'retiring'))) throw new AppError('conflict', 'The CAs changed concurrently; retry');
    if (!(await s.setCaStatus(standby, 'active'))) throw new AppError('conflict', 'The CAs changed concurrently; retry');
    await s.audit({ actor, action: 'ssh.ca-rotated', object: `ssh-ca:${standby.id}`, outcome: 'success', details: { kind, ...(old ? { previous: old.id } : {}) } });
    return { active: { ...standby, status: 'active', version: standby.version + 1 }, retiring: old && { ...old, status: 'retiring', version: old.version + 1 } };
  });
}

/** Stops trusting a CA that no longer signs. Certificates it signed stop working wherever the trust lines are refreshed. */
export async function retireCa(deps: SshDeps, id: string, actor: string): Promise<SshCa> {
  return deps.store.transaction(async (s) => {
    const ca = (await s.cas()).find((c) => c.id === id);
    if (!ca) throw new AppError('notFound', `No SSH CA ${id}; see "certainty ssh ca list"`);
    if (ca.status === 'active') throw new AppError('conflict', `CA ${id} is the one signing: create a standby CA and rotate to it first`);
    if (ca.status === 'retired') return ca;
    if (!(await s.setCaStatus(ca, 'retired'))) throw new AppError('conflict', 'The CAs changed concurrently; retry');
    await s.audit({ actor, action: 'ssh.ca-retired', object: `ssh-ca:${id}`, outcome: 'success', details: { kind: ca.kind } });
    return { ...ca, status: 'retired', version: ca.version + 1 };
  });
}
