import { AppError } from '../errors.ts';
import { authorize, notFound, secretObject, type SecretDeps } from './deps.ts';
import { checkPath } from './path.ts';
import type { SecretCaller } from './types.ts';
import { checkVersions } from './versions-arg.ts';

/**
 * Soft-deletes versions (default: the current one; needs `delete`): they stop being readable and
 * can be undeleted until destroyed. Returns how many changed.
 */
export async function deleteVersions(deps: SecretDeps, caller: SecretCaller, path: string, versions?: unknown): Promise<number> {
  return mark(deps, caller, path, versions, 'delete');
}

/** Undoes a soft delete (needs `update`); destroyed versions stay destroyed. */
export async function undeleteVersions(deps: SecretDeps, caller: SecretCaller, path: string, versions: unknown): Promise<number> {
  if (checkVersions(versions) === undefined) throw new AppError('malformed', 'Say which versions to undelete ("versions": [n, …] or --versions n,…)');
  return mark(deps, caller, path, versions, 'undelete');
}

async function mark(deps: SecretDeps, caller: SecretCaller, path: string, input: unknown, op: 'delete' | 'undelete'): Promise<number> {
  checkPath(path);
  const listed = checkVersions(input);
  await authorize(deps, caller, op === 'delete' ? 'delete' : 'update', path);
  return deps.store.transaction(async (store) => {
    const row = await store.secret(path);
    if (row === undefined || row.currentVersion === 0) throw notFound(path);
    const versions = listed ?? [row.currentVersion];
    const n = await store.markDeleted(path, versions, op === 'delete' ? deps.now() : null);
    await store.audit({ actor: caller.actor, action: op === 'delete' ? 'secret.deleted' : 'secret.undeleted', object: secretObject(path), outcome: 'success', details: { versions, changed: n } });
    return n;
  });
}

/** Removes a path with every version, its data keys and its settings (needs `destroy`): nothing of it is left to restore. */
export async function removeSecret(deps: SecretDeps, caller: SecretCaller, path: string): Promise<void> {
  checkPath(path);
  await authorize(deps, caller, 'destroy', path);
  await deps.store.transaction(async (store) => {
    if (!(await store.removeSecret(path))) throw notFound(path);
    await store.audit({ actor: caller.actor, action: 'secret.removed', object: secretObject(path), outcome: 'success' });
  });
}
