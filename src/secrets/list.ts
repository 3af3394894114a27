import { capabilitiesOn } from './policy.ts';
import { rulesOf, secretObject, type SecretDeps } from './deps.ts';
import { checkPrefix } from './path.ts';
import type { SecretCaller, SecretListing } from './types.ts';

/**
 * Every path under `prefix` (recursive, one consistent read) that the caller may `list`; never
 * values. A token without `list` anywhere there gets an empty list.
 */
export async function listSecrets(deps: SecretDeps, caller: SecretCaller, prefix: string, limit = 1000): Promise<SecretListing[]> {
  checkPrefix(prefix);
  const rules = await rulesOf(deps, caller);
  const rows = await deps.store.list(prefix, limit);
  const visible = caller.admin ? rows : rows.filter((r) => capabilitiesOn(rules, r.path).has('list'));
  await deps.store.audit({ actor: caller.actor, action: 'secret.listed', object: secretObject(prefix === '' ? '*' : prefix), outcome: 'success', details: { count: visible.length } });
  return visible;
}
