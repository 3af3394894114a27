import { appendVersion, type Appended } from './append.ts';
import { rulesOf, type SecretDeps } from './deps.ts';
import { checkData, checkPath } from './path.ts';
import type { SecretCaller } from './types.ts';

/** Writes a new version of `path` holding exactly `data` (needs `create` for a new path, `update` otherwise). */
export async function writeSecret(deps: SecretDeps, caller: SecretCaller, path: string, data: unknown, options: { cas?: number | undefined } = {}): Promise<Appended> {
  checkPath(path);
  const fields = checkData(data);
  const rules = await rulesOf(deps, caller);
  return appendVersion(deps, caller, rules, {
    path, cas: options.cas, data: () => fields, needsLatest: false, mustExist: false, action: 'secret.written', capability: 'update',
  });
}
