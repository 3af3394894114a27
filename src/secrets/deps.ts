import type { Kek } from '../kek/kek.ts';
import { AppError } from '../errors.ts';
import { requireCapability } from './policy.ts';
import type { SecretPolicyStore, SecretStore, VersionRow } from './store.ts';
import type { Capability, PolicyRule, SecretCaller, SecretData, SecretSettings } from './types.ts';

/** Something to tell about rotations and honeytoken reveals (the secrets webhook); never given a value. */
export interface SecretNotifier {
  notify(event: { event: 'rotated' | 'honeytoken-revealed'; path: string; version: number; actor: string; at: number }): Promise<void>;
}

/** What every secrets use case takes. */
export interface SecretDeps {
  store: SecretStore;
  policies: SecretPolicyStore;
  kek: Kek;
  now: () => number;
  newId: () => string;
  notifier?: SecretNotifier | undefined;
  /** Where reads, writes and denials are counted (src/metrics); absent at the CLI. */
  report?: SecretReport | undefined;
}

/** Reads and writes of secrets by mount (a path's first segment; `other` for one no stored path has) and outcome. */
export interface SecretReport {
  secretOperation(mount: string, operation: 'read' | 'write', outcome: 'success' | 'denied' | 'failed'): void;
}

export const DEFAULT_SETTINGS: SecretSettings = {
  maxVersions: 10, casRequired: false, deleteVersionAfterMs: 0, revealReasonRequired: false, honeytoken: false,
  customMetadata: {}, generator: null, rotateEveryMs: 0,
};

export const secretObject = (path: string): string => `secret:${path}`;

/** The rules that bind `caller` (none needed for admins and the CLI). */
export function rulesOf(deps: Pick<SecretDeps, 'policies'>, caller: SecretCaller): Promise<PolicyRule[]> {
  return caller.admin || caller.tokenId === undefined ? Promise.resolve([]) : deps.policies.rulesFor(caller.tokenId);
}

/** Refuses unless `caller` may `capability` on `path`. */
export async function authorize(deps: Pick<SecretDeps, 'policies'>, caller: SecretCaller, capability: Capability, path: string): Promise<PolicyRule[]> {
  const rules = await rulesOf(deps, caller);
  requireCapability(caller, rules, capability, path);
  return rules;
}

/** Seals a version's fields under a fresh data key, bound to the version row's id. */
export function sealData(kek: Kek, id: string, data: SecretData): Buffer {
  return kek.wrap(Buffer.from(JSON.stringify(data), 'utf8'), `secret:${id}`);
}

/** Opens a version's fields; a destroyed version has none left to open. */
export function openData(kek: Kek, row: VersionRow): SecretData {
  if (row.blob === null) throw new AppError('notFound', `Version ${row.version} of ${row.path} was destroyed`);
  const plain = kek.unwrap(row.blob, `secret:${row.id}`);
  try {
    return JSON.parse(plain.toString('utf8')) as SecretData;
  } finally {
    plain.fill(0);
  }
}

export function notFound(path: string): AppError {
  return new AppError('notFound', `No secret at ${path}`);
}

/** Whether a version is past its path's `delete_version_after` at `now`. */
export function expired(settings: SecretSettings, createdAt: number, now: number): boolean {
  return settings.deleteVersionAfterMs > 0 && createdAt + settings.deleteVersionAfterMs <= now;
}
