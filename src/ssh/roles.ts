import { AppError } from '../errors.ts';
import type { SshDeps } from './deps.ts';
import { parseRole } from './role.ts';
import type { SshRole } from './types.ts';

/** Creates or replaces a role from its spec (compare-and-swap on the stored version), audited. */
export async function putRole(deps: SshDeps, name: string, spec: Record<string, unknown>, actor: string): Promise<SshRole> {
  const role = parseRole(name, spec);
  return deps.store.transaction(async (s) => {
    const existing = await s.role(name);
    if (!(await s.putRole(role, existing?.version, deps.now()))) throw new AppError('conflict', `Role "${name}" changed concurrently; retry`);
    await s.audit({ actor, action: 'ssh.role-changed', object: `ssh-role:${name}`, outcome: 'success', details: { change: existing ? 'updated' : 'created', kind: role.kind, tokens: role.tokens } });
    return role;
  });
}

export async function deleteRole(deps: SshDeps, name: string, actor: string): Promise<void> {
  await deps.store.transaction(async (s) => {
    if (!(await s.deleteRole(name))) throw new AppError('notFound', `No SSH role "${name}"`);
    await s.audit({ actor, action: 'ssh.role-changed', object: `ssh-role:${name}`, outcome: 'success', details: { change: 'deleted' } });
  });
}
