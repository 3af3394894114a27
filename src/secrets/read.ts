import { AppError } from '../errors.ts';
import { capabilitiesOn } from './policy.ts';
import { expired, notFound, openData, rulesOf, secretObject, type SecretDeps } from './deps.ts';
import { checkPath } from './path.ts';
import { reported } from './report.ts';
import type { VersionRow } from './store.ts';
import type { SecretCaller, SecretVersion } from './types.ts';

export interface ReadOptions {
  /** Default: the current version. */
  version?: number | undefined;
  /** Why it is revealed: recorded in the audit, required where the path says so. */
  reason?: string | undefined;
}

type Found = { row: VersionRow; honeytoken: boolean } | { expiredVersion: number };

function checkReason(reason: string | undefined): void {
  // eslint-disable-next-line no-control-regex
  if (reason !== undefined && (reason.length > 200 || /[\u0000-\u001f\u007f]/.test(reason))) throw new AppError('malformed', 'A reveal reason is one line of at most 200 characters');
}

/**
 * Reveals a version (needs `read`). Every reveal is an audit record committed before the value is
 * opened; a refused one is recorded too. A version past `delete_version_after` is soft-deleted on
 * the spot and refused. Revealing a honeytoken works as usual, and raises an alert.
 */
export function readSecret(deps: SecretDeps, caller: SecretCaller, path: string, options: ReadOptions = {}): Promise<SecretVersion> {
  return reported(deps, 'read', path, () => reveal(deps, caller, path, options));
}

async function reveal(deps: SecretDeps, caller: SecretCaller, path: string, options: ReadOptions): Promise<SecretVersion> {
  checkPath(path);
  checkReason(options.reason);
  const object = secretObject(path);
  if (!caller.admin && !capabilitiesOn(await rulesOf(deps, caller), path).has('read')) {
    await deps.store.audit({ actor: caller.actor, action: 'secret.revealed', object, outcome: 'failure', details: { refused: 'no policy grants read' } });
    throw new AppError('unauthorized', `Token ${caller.tokenId ?? '?'} may not read ${path}: no policy attached to it grants "read" there`);
  }
  const found = await deps.store.transaction(async (store): Promise<Found> => {
    const meta = await store.secret(path);
    if (meta === undefined || meta.currentVersion === 0) throw notFound(path);
    if (meta.settings.revealReasonRequired && (options.reason ?? '').trim() === '') {
      throw new AppError('malformed', `Revealing ${path} requires a reason (e.g. --reason "deploy db-2", or ?reason=… on the API); it is recorded in the audit log`);
    }
    const n = options.version ?? meta.currentVersion;
    const row = await store.version(path, n);
    if (row === undefined) throw new AppError('notFound', `${path} has no version ${n} (it never existed, or max_versions removed it)`);
    if (row.destroyedAt !== null) throw new AppError('notFound', `Version ${n} of ${path} was destroyed`);
    if (row.deletedAt !== null) throw new AppError('notFound', `Version ${n} of ${path} is deleted; "certainty secret undelete ${path} --versions ${n}" restores it`);
    if (expired(meta.settings, row.createdAt, deps.now())) {
      await store.markDeleted(path, [n], deps.now());
      return { expiredVersion: n };
    }
    const details = { version: n, ...(options.reason === undefined ? {} : { reason: options.reason }), ...(meta.settings.honeytoken ? { honeytoken: true } : {}) };
    await store.audit({ actor: caller.actor, action: 'secret.revealed', object, outcome: 'success', details });
    if (meta.settings.honeytoken) await store.audit({ actor: caller.actor, action: 'secret.honeytoken-revealed', object, outcome: 'failure', details: { version: n } });
    return { row, honeytoken: meta.settings.honeytoken };
  });
  if ('expiredVersion' in found) throw new AppError('notFound', `Version ${found.expiredVersion} of ${path} is past its delete_version_after and was deleted`);
  const data = openData(deps.kek, found.row);
  if (found.honeytoken) await alert(deps, caller, path, found.row.version);
  return { path, version: found.row.version, createdAt: found.row.createdAt, data };
}

/** Tells the webhook a honeytoken was revealed; a failed delivery never gives the decoy away. */
async function alert(deps: SecretDeps, caller: SecretCaller, path: string, version: number): Promise<void> {
  await deps.notifier?.notify({ event: 'honeytoken-revealed', path, version, actor: caller.actor, at: deps.now() }).catch(() => undefined);
}
