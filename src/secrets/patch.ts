import { AppError } from '../errors.ts';
import { appendVersion, type Appended } from './append.ts';
import { rulesOf, type SecretDeps } from './deps.ts';
import { checkPath } from './path.ts';
import type { SecretCaller, SecretData } from './types.ts';

/**
 * Merges `changes` into the latest version as a new version (needs `patch`): a string sets a field,
 * null removes it. The latest version must be readable (not deleted or destroyed).
 */
export async function patchSecret(deps: SecretDeps, caller: SecretCaller, path: string, changes: unknown, options: { cas?: number | undefined } = {}): Promise<Appended> {
  checkPath(path);
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes) || Object.keys(changes).length === 0) {
    throw new AppError('malformed', '"data" must be an object of fields to set (strings) or remove (null)');
  }
  const rules = await rulesOf(deps, caller);
  return appendVersion(deps, caller, rules, {
    path, cas: options.cas, needsLatest: true, mustExist: true, action: 'secret.written', capability: 'patch',
    data: (latest) => {
      if (latest === undefined) throw new AppError('conflict', `The latest version of ${path} is deleted or destroyed: write a whole new version instead of a patch`);
      const merged: Record<string, unknown> = { ...latest };
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      return merged as SecretData;
    },
  });
}
