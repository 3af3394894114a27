import { AppError, ConflictError } from '../errors.ts';
import { authorize, DEFAULT_SETTINGS, expired, notFound, rulesOf, secretObject, type SecretDeps } from './deps.ts';
import { capabilitiesOn } from './policy.ts';
import { checkPath } from './path.ts';
import type { SecretCaller, SecretMetadata, SecretSettings } from './types.ts';

const malformed = (detail: string): AppError => new AppError('malformed', detail);

/** A path's settings and version history (needs `read-metadata`); never a value. */
export async function readMetadata(deps: SecretDeps, caller: SecretCaller, path: string): Promise<SecretMetadata> {
  checkPath(path);
  await authorize(deps, caller, 'read-metadata', path);
  const row = await deps.store.secret(path);
  if (row === undefined) throw notFound(path);
  const now = deps.now();
  const versions = (await deps.store.versions(path)).map((v) => ({
    version: v.version, createdAt: v.createdAt, createdBy: v.createdBy, destroyed: v.destroyedAt !== null,
    deletedAt: v.deletedAt ?? (v.destroyedAt === null && expired(row.settings, v.createdAt, now) ? v.createdAt + row.settings.deleteVersionAfterMs : null),
  }));
  return { path, ...row.settings, currentVersion: row.currentVersion, createdAt: row.createdAt, updatedAt: row.updatedAt, nextRotationAt: row.nextRotationAt, versions };
}

const bool = (v: unknown, name: string): boolean => {
  if (typeof v !== 'boolean') throw malformed(`"${name}" must be true or false`);
  return v;
};

const whole = (v: unknown, name: string, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw malformed(`"${name}" must be a whole number from ${min} to ${max}`);
  return v;
};

function customMetadata(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('"customMetadata" must be an object of strings');
  const entries = Object.entries(v);
  if (entries.length > 64) throw malformed('"customMetadata" holds at most 64 keys');
  for (const [k, s] of entries) {
    if (k.length > 128 || typeof s !== 'string' || s.length > 512) throw malformed('"customMetadata" keys are at most 128 characters and values strings of at most 512');
  }
  return v as Record<string, string>;
}

const YEAR_MS = 366 * 86_400_000;

/** Checks a settings change as the API and CLI give it; unknown keys are refused by name. */
function parseSettings(input: Record<string, unknown>): Partial<SecretSettings> {
  const out: Partial<SecretSettings> = {};
  for (const [key, v] of Object.entries(input)) {
    if (key === 'maxVersions') out.maxVersions = whole(v, key, 1, 1000);
    else if (key === 'casRequired') out.casRequired = bool(v, key);
    else if (key === 'deleteVersionAfterMs') out.deleteVersionAfterMs = whole(v, key, 0, 100 * YEAR_MS);
    else if (key === 'revealReasonRequired') out.revealReasonRequired = bool(v, key);
    else if (key === 'honeytoken') out.honeytoken = bool(v, key);
    else if (key === 'customMetadata') out.customMetadata = customMetadata(v);
    else if (key === 'rotateEveryMs') out.rotateEveryMs = whole(v, key, 0, 100 * YEAR_MS);
    else throw malformed(`Unknown setting "${key.slice(0, 40)}"; use maxVersions, casRequired, deleteVersionAfterMs, revealReasonRequired, honeytoken, customMetadata or rotateEveryMs`);
  }
  return out;
}

/** Changes a path's settings (needs `update`; a new path needs `create` and gets no version yet). */
export async function updateMetadata(deps: SecretDeps, caller: SecretCaller, path: string, input: Record<string, unknown>): Promise<SecretMetadata> {
  checkPath(path);
  const changes = parseSettings(input);
  await deps.store.transaction(async (store) => {
    const now = deps.now();
    let row = await store.secret(path);
    if (row === undefined) {
      await authorize(deps, caller, 'create', path);
      const fresh = { path, settings: DEFAULT_SETTINGS, currentVersion: 0, createdAt: now, updatedAt: now, nextRotationAt: null };
      if (!(await store.insertSecret(fresh))) throw new AppError('conflict', `${path} was created concurrently; retry`);
      row = { ...fresh, rowVersion: 0 };
    } else await authorize(deps, caller, 'update', path);
    const settings = { ...row.settings, ...changes };
    if (changes.rotateEveryMs !== undefined && changes.rotateEveryMs > 0 && settings.generator === null) throw malformed(`${path} is not a generated secret: only generated secrets rotate on a schedule`);
    const nextRotationAt = settings.generator !== null && settings.rotateEveryMs > 0 ? (row.nextRotationAt ?? now + settings.rotateEveryMs) : null;
    if (!(await store.updateSecret({ ...row, settings, updatedAt: now, nextRotationAt }))) throw new ConflictError(path);
    await store.pruneVersions(path, row.currentVersion - settings.maxVersions);
    await store.audit({ actor: caller.actor, action: 'secret.metadata-updated', object: secretObject(path), outcome: 'success', details: { changed: Object.keys(changes) } });
  }).catch((err: unknown) => {
    throw err instanceof ConflictError ? new AppError('conflict', `${path} changed concurrently; retry`) : err;
  });
  // What it changed is shown to whoever may change it; the version history needs read-metadata.
  const meta = await readMetadata(deps, { ...caller, admin: true }, path);
  const rules = await rulesOf(deps, caller);
  return caller.admin || capabilitiesOn(rules, path).has('read-metadata') ? meta : { ...meta, versions: [] };
}
