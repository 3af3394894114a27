/**
 * Deploy targets name secrets (a webhook's HMAC key) by reference: `path` or `path#key` in the
 * secrets store. Each lookup is a reveal, audited by the secrets store like any other.
 */
import { AppError } from '../errors.ts';
import type { SecretDeps } from '../secrets/deps.ts';
import { readSecret } from '../secrets/read.ts';

export function secretResolver(deps: SecretDeps, actor: string): (ref: string) => Promise<string> {
  return async (ref) => {
    const [path = '', key] = ref.split('#', 2);
    const secret = await readSecret(deps, { actor, tokenId: undefined, admin: true }, path, { reason: 'deploy target' });
    const entries = Object.entries(secret.data);
    const value = key === undefined ? (entries.length === 1 ? entries[0]?.[1] : undefined) : secret.data[key];
    if (value === undefined) {
      throw new AppError('deployFailed', `secret reference ${ref}: ${key === undefined ? `${path} holds ${entries.length} keys; name one as ${path}#<key>` : `${path} has no key ${key}`}`);
    }
    return value;
  };
}
