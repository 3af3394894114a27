import { AppError } from '../errors.ts';
import { authorize, notFound, secretObject, type SecretDeps } from './deps.ts';
import { checkPath } from './path.ts';
import type { SecretCaller } from './types.ts';
import { checkVersions } from './versions-arg.ts';

/**
 * Destroys versions for good (needs `destroy`): the wrapped value, and the data key inside it, is
 * deleted from the row, so neither this database nor a backup taken afterwards holds it.
 */
export async function destroyVersions(deps: SecretDeps, caller: SecretCaller, path: string, input: unknown): Promise<number> {
  checkPath(path);
  const versions = checkVersions(input);
  if (versions === undefined) throw new AppError('malformed', 'Say which versions to destroy ("versions": [n, …] or --versions n,…)');
  await authorize(deps, caller, 'destroy', path);
  return deps.store.transaction(async (store) => {
    if ((await store.secret(path)) === undefined) throw notFound(path);
    const n = await store.destroyVersions(path, versions, deps.now());
    await store.audit({ actor: caller.actor, action: 'secret.destroyed', object: secretObject(path), outcome: 'success', details: { versions, changed: n } });
    return n;
  });
}
