import { AppError } from '../errors.ts';
import { parseRules } from './policy.ts';
import type { SecretPolicyStore } from './store.ts';
import type { Policy } from './types.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface PolicyDeps {
  policies: SecretPolicyStore;
  now: () => number;
  /** Who changes are recorded as: `cli:<user>` or `token:<id>`. */
  actor: string;
}

function checkName(name: string): string {
  if (!NAME.test(name)) throw new AppError('malformed', `A policy name is 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit (got "${name.slice(0, 64)}")`);
  return name;
}

const changed = (deps: PolicyDeps, name: string, op: string, details: Record<string, unknown> = {}) => deps.policies.audit({
  actor: deps.actor, action: 'secret.policy-changed', object: `secret-policy:${name}`, outcome: 'success', details: { op, ...details },
});

/** Creates or replaces a policy; every rule is checked first, so a bad one stores nothing. */
export async function putPolicy(deps: PolicyDeps, name: string, rules: unknown): Promise<Policy> {
  checkName(name);
  const parsed = parseRules(rules);
  await deps.policies.transaction(async (store) => {
    await store.putPolicy(name, parsed, deps.now());
    await changed({ ...deps, policies: store }, name, 'put', { rules: parsed.length });
  });
  return showPolicy(deps, name);
}

export async function showPolicy(deps: Pick<PolicyDeps, 'policies'>, name: string): Promise<Policy> {
  const p = await deps.policies.policy(checkName(name));
  if (p === undefined) throw new AppError('notFound', `No secrets policy "${name}"; see "certainty policy list"`);
  return p;
}

export function listPolicies(deps: Pick<PolicyDeps, 'policies'>): Promise<Policy[]> {
  return deps.policies.policies();
}

export async function deletePolicy(deps: PolicyDeps, name: string): Promise<void> {
  checkName(name);
  await deps.policies.transaction(async (store) => {
    if (!(await store.deletePolicy(name))) throw new AppError('notFound', `No secrets policy "${name}"`);
    await changed({ ...deps, policies: store }, name, 'delete');
  });
}

/** Attaches a policy to a token (by id), or detaches it; attaching twice is a no-op. */
export async function attachPolicy(deps: PolicyDeps, name: string, tokenId: string, attach = true): Promise<boolean> {
  checkName(name);
  if (!/^[0-9a-f]{12}$/.test(tokenId)) throw new AppError('malformed', `"${tokenId.slice(0, 40)}" is not a token id (12 hex digits, as "certainty token list" shows)`);
  return deps.policies.transaction(async (store) => {
    if ((await store.policy(name)) === undefined) throw new AppError('notFound', `No secrets policy "${name}"`);
    const done = attach ? await store.attach(name, tokenId) : await store.detach(name, tokenId);
    if (done) await changed({ ...deps, policies: store }, name, attach ? 'attach' : 'detach', { tokenId });
    return done;
  });
}
