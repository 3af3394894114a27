import type { SecretDeps } from './deps.ts';

/**
 * Soft-deletes every version past its path's `delete_version_after` (the housekeeping duty; reads
 * also refuse and delete such a version on the spot, so the duty's period never extends a lifetime).
 */
export function expireVersions(deps: Pick<SecretDeps, 'store' | 'now'>): Promise<number> {
  return deps.store.expireVersions(deps.now());
}
