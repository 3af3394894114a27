import type { AuditEvent } from '../audit/log.ts';
import type { PolicyRule, SecretListing, SecretSettings } from './types.ts';

/** A path's metadata row: its settings, its newest version, and the row's own CAS `rowVersion`. */
export interface SecretRow {
  path: string;
  settings: SecretSettings;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
  nextRotationAt: number | null;
  rowVersion: number;
}

/** One stored version; `blob` (the value, wrapped by the KEK under its own data key) is null once destroyed. */
export interface VersionRow {
  id: string;
  path: string;
  version: number;
  blob: Buffer | null;
  createdAt: number;
  createdBy: string;
  deletedAt: number | null;
  destroyedAt: number | null;
}

/** The secrets' storage (implemented by src/store/secrets-store.ts). */
export interface SecretStore {
  transaction<T>(fn: (store: SecretStore) => Promise<T>): Promise<T>;
  /** Appends an audit record; inside a transaction it commits with the change it describes. */
  audit(event: AuditEvent): Promise<void>;
  secret(path: string): Promise<SecretRow | undefined>;
  /** The row, locked until the transaction ends (writers of one path queue here instead of failing on each other). */
  lockSecret(path: string): Promise<SecretRow | undefined>;
  /** Inserts a path's row with no version yet; false when the path exists (another writer created it first). */
  insertSecret(row: Omit<SecretRow, 'rowVersion'>): Promise<boolean>;
  /** Compare-and-swap on `rowVersion`: stores the newest version number, settings and times; false when the row changed. */
  updateSecret(row: SecretRow): Promise<boolean>;
  /** Removes the path and every version (ciphertexts and data keys with them); false when there was none. */
  removeSecret(path: string): Promise<boolean>;
  /** Every version of `path`, oldest first, blobs included. */
  versions(path: string): Promise<VersionRow[]>;
  version(path: string, version: number): Promise<VersionRow | undefined>;
  /** Inserts a version; false when (path, version) exists: a concurrent writer took that number. */
  insertVersion(row: VersionRow): Promise<boolean>;
  /** Deletes the rows of versions up to `version` (what `max_versions` no longer keeps). */
  pruneVersions(path: string, upTo: number): Promise<number>;
  /** Sets or clears `deleted_at` of the listed versions (never of destroyed ones); how many changed. */
  markDeleted(path: string, versions: readonly number[], at: number | null): Promise<number>;
  /** Drops the wrapped value of the listed versions for good; how many changed. */
  destroyVersions(path: string, versions: readonly number[], at: number): Promise<number>;
  /** Soft-deletes every live version older than its path's `delete_version_after` at `now`; how many. */
  expireVersions(now: number): Promise<number>;
  /** Paths under `prefix`, in path order, read in one statement (one consistent snapshot). */
  list(prefix: string, limit: number): Promise<SecretListing[]>;
  /** Generated paths whose rotation is due at `now`. */
  dueRotations(now: number, limit: number): Promise<string[]>;
}

/** Policies and the tokens they are attached to. */
export interface SecretPolicyStore {
  transaction<T>(fn: (store: SecretPolicyStore) => Promise<T>): Promise<T>;
  audit(event: AuditEvent): Promise<void>;
  /** Every rule of every policy attached to `tokenId`. */
  rulesFor(tokenId: string): Promise<PolicyRule[]>;
  /** Creates or replaces a policy's rules. */
  putPolicy(name: string, rules: readonly PolicyRule[], at: number): Promise<void>;
  policy(name: string): Promise<{ name: string; rules: PolicyRule[]; tokens: string[] } | undefined>;
  policies(): Promise<Array<{ name: string; rules: PolicyRule[]; tokens: string[] }>>;
  /** Deletes a policy and its attachments; false when there was none. */
  deletePolicy(name: string): Promise<boolean>;
  /** Attaches; false when already attached. */
  attach(name: string, tokenId: string): Promise<boolean>;
  detach(name: string, tokenId: string): Promise<boolean>;
}
