import { AppError, ConflictError } from '../errors.ts';
import type { AuditAction } from '../audit/chain.ts';
import { DEFAULT_SETTINGS, notFound, openData, sealData, secretObject, type SecretDeps } from './deps.ts';
import { requireCapability } from './policy.ts';
import type { SecretRow, SecretStore } from './store.ts';
import type { PolicyRule, SecretCaller, SecretData, SecretSettings } from './types.ts';
import { checkData } from './path.ts';
import { reported } from './report.ts';

/** How a new version is made from the latest one (undefined for a new path or a destroyed/deleted latest). */
export interface AppendSpec {
  path: string;
  cas: number | undefined;
  /** The new fields, given the latest version's (patch and rotate merge; write ignores them). */
  data: (latest: SecretData | undefined) => SecretData;
  /** Whether `data` needs the latest version opened. */
  needsLatest: boolean;
  /** Whether the path must already exist (patch, rotate). */
  mustExist: boolean;
  /** Settings to change with this version (generate). */
  settings?: Partial<SecretSettings>;
  action: AuditAction;
  /** The capability an existing path needs (update or patch); a new path always needs create. */
  capability: 'update' | 'patch';
}

export interface Appended {
  path: string;
  version: number;
  createdAt: number;
}

const ATTEMPTS = 5;

/**
 * Appends a version: locks the path's row, checks `cas`, inserts version current+1 (a unique key on
 * (path, version)) and moves the row by compare-and-swap, in one transaction, so of concurrent
 * writers with the same `cas` exactly one wins. Writers of an existing path queue on its row; of
 * a new path, all but one lose the insert, and those without `cas` retry.
 */
export function appendVersion(deps: SecretDeps, caller: SecretCaller, rules: readonly PolicyRule[], spec: AppendSpec): Promise<Appended> {
  return reported(deps, 'write', spec.path, () => appendWithRetries(deps, caller, rules, spec));
}

async function appendWithRetries(deps: SecretDeps, caller: SecretCaller, rules: readonly PolicyRule[], spec: AppendSpec): Promise<Appended> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.store.transaction((store) => appendOnce(deps, store, caller, rules, spec));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      if (spec.cas !== undefined) throw new AppError('conflict', `${spec.path} was written concurrently: version ${spec.cas + 1} is taken; read the current version and retry with its number as cas`);
      if (attempt >= ATTEMPTS) throw new AppError('conflict', `${spec.path} is being written by others too often; retry`);
    }
  }
}

async function appendOnce(deps: SecretDeps, store: SecretStore, caller: SecretCaller, rules: readonly PolicyRule[], spec: AppendSpec): Promise<Appended> {
  const now = deps.now();
  const existing = await store.lockSecret(spec.path);
  if (existing !== undefined) requireCapability(caller, rules, spec.capability, spec.path);
  const row = existing ?? (await createRow(store, caller, rules, spec, now));
  const settings = { ...row.settings, ...(spec.settings ?? {}) };
  if (settings.casRequired && spec.cas === undefined) throw new AppError('malformed', `${spec.path} requires check-and-set: give "cas" (its current version, ${row.currentVersion}, or 0 for a new path)`);
  if (spec.cas !== undefined && spec.cas !== row.currentVersion) {
    throw new AppError('conflict', `cas ${spec.cas} does not match the current version of ${spec.path} (${row.currentVersion}); read it and retry`);
  }
  const latest = spec.needsLatest ? await latestData(deps, store, row) : undefined;
  const data = checkData(spec.data(latest));
  const version = row.currentVersion + 1;
  const id = deps.newId();
  const inserted = await store.insertVersion({ id, path: spec.path, version, blob: sealData(deps.kek, id, data), createdAt: now, createdBy: caller.actor, deletedAt: null, destroyedAt: null });
  if (!inserted) throw new ConflictError(`version ${version} of ${spec.path}`);
  const nextRotationAt = settings.generator !== null && settings.rotateEveryMs > 0 ? now + settings.rotateEveryMs : null;
  if (!(await store.updateSecret({ ...row, settings, currentVersion: version, updatedAt: now, nextRotationAt }))) throw new ConflictError(spec.path);
  await store.pruneVersions(spec.path, version - settings.maxVersions);
  await store.audit({ actor: caller.actor, action: spec.action, object: secretObject(spec.path), outcome: 'success', details: { version, ...(spec.cas === undefined ? {} : { cas: spec.cas }) } });
  return { path: spec.path, version, createdAt: now };
}

/** A new path's row; a concurrent creator makes this a conflict. */
async function createRow(store: SecretStore, caller: SecretCaller, rules: readonly PolicyRule[], spec: AppendSpec, now: number): Promise<SecretRow> {
  if (spec.mustExist) throw notFound(spec.path);
  requireCapability(caller, rules, 'create', spec.path);
  const row = { path: spec.path, settings: DEFAULT_SETTINGS, currentVersion: 0, createdAt: now, updatedAt: now, nextRotationAt: null };
  if (!(await store.insertSecret(row))) throw new ConflictError(spec.path);
  return { ...row, rowVersion: 0 };
}

async function latestData(deps: SecretDeps, store: SecretStore, row: SecretRow): Promise<SecretData | undefined> {
  const v = await store.version(row.path, row.currentVersion);
  return v === undefined || v.blob === null || v.deletedAt !== null ? undefined : openData(deps.kek, v);
}
