import type { AuditEvent } from '../audit/log.ts';
import type { Permission } from './roles.ts';

/** An account as an operator sees it. */
export interface AccountOverview {
  id: string;
  status: string;
  contact: string[];
  eabKid: string | null;
  createdAt: number;
  orders: number;
  certificates: number;
  keyThumbprint: string;
}

/** An issued certificate as an operator sees it. */
export interface CertificateOverview {
  id: string;
  serial: string;
  names: string[];
  accountId: string;
  notBefore: number;
  notAfter: number;
  revokedAt: number | null;
  revocationReason: number | null;
  replacedBy: string | null;
}

export interface CertificateFilter {
  limit: number;
  /** Only certificates naming this identifier (lowercase). */
  name?: string;
  revoked?: boolean;
}

export interface InventoryCounts {
  accounts: number;
  orders: number;
  pendingOrders: number;
  certificates: number;
  revokedCertificates: number;
}

/** Accounts and certificates for operators (implemented by src/store/admin-store.ts). */
export interface AdminStore {
  transaction<T>(fn: (store: AdminStore) => Promise<T>): Promise<T>;
  /** Newest first; only `id` when given. */
  accounts(limit: number, id?: string): Promise<AccountOverview[]>;
  /** Deactivates a valid account; false when there is no valid account `id`. */
  deactivateAccount(id: string): Promise<boolean>;
  /** Newest first. */
  certificates(filter: CertificateFilter): Promise<CertificateOverview[]>;
  certificateBySerial(serial: string): Promise<(CertificateOverview & { der: Buffer }) | undefined>;
  counts(): Promise<InventoryCounts>;
  audit(event: AuditEvent): Promise<void>;
}

/** When a credential was made and whether it was revoked: what every credential listing shows. */
export interface CredentialRecord {
  createdAt: number;
  revokedAt: number | null;
}

/** Credentials an operator creates, lists and revokes: EAB keys and admin tokens. */
export interface CredentialStore<New, Listed extends CredentialRecord> {
  transaction<T>(fn: (store: CredentialStore<New, Listed>) => Promise<T>): Promise<T>;
  insert(credential: New): Promise<void>;
  /** Oldest first. */
  list(): Promise<Listed[]>;
  /** Revokes it unless it already is; false when there is no unrevoked credential `id`. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Appends an audit record; inside a transaction it commits with the change it describes. */
  audit(event: AuditEvent): Promise<void>;
}

export interface NewEabKey {
  kid: string;
  label: string;
  /** The HMAC key wrapped by the KEK. */
  hmacWrapped: Buffer;
  createdAt: number;
}

export interface EabKeyRecord extends CredentialRecord {
  kid: string;
  label: string;
  accountId: string | null;
}

export interface EabKeyStore extends CredentialStore<NewEabKey, EabKeyRecord> {
  /** The wrapped HMAC key of an unrevoked key not bound to an account yet. */
  unusedHmacKey(kid: string): Promise<Buffer | undefined>;
}

export interface NewAdminToken {
  id: string;
  name: string;
  /** SHA-256 of the token, hex: the token itself is never stored. */
  hash: string;
  /** A built-in role or a custom role's name. */
  role: string;
  createdAt: number;
  expiresAt: number | null;
  pathPrefix: string | null;
  breakGlass: boolean;
}

export interface AdminTokenRecord extends CredentialRecord {
  id: string;
  name: string;
  role: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  pathPrefix: string | null;
  breakGlass: boolean;
}

/** What verifying a token needs: its hash, role, and whether it still holds. */
export interface StoredToken {
  hash: string;
  name: string;
  role: string;
  revokedAt: number | null;
  expiresAt: number | null;
  lastUsedAt: number | null;
  pathPrefix: string | null;
  breakGlass: boolean;
}

export interface AdminTokenStore extends CredentialStore<NewAdminToken, AdminTokenRecord> {
  tokenHash(id: string): Promise<StoredToken | undefined>;
  /** Sets the token's last use to `at` unless another request already set it at `since` or later (one write a minute, whichever node). */
  touch(id: string, at: number, since: number): Promise<void>;
  /** The custom role `name`, read for one request. */
  customRole(name: string): Promise<CustomRole | undefined>;
}

/** A role an operator defined: a name and a set of permissions (built-in names are refused). */
export interface CustomRole {
  name: string;
  permissions: Permission[];
  description: string;
  createdAt: number;
}

/** Custom roles (implemented by src/store/admin-store.ts). */
export interface AdminRoleStore {
  transaction<T>(fn: (store: AdminRoleStore) => Promise<T>): Promise<T>;
  /** False when a role of that name exists. */
  insertRole(role: CustomRole): Promise<boolean>;
  /** By name. */
  roles(): Promise<CustomRole[]>;
  role(name: string): Promise<CustomRole | undefined>;
  /** False when there is no role `name`. */
  removeRole(name: string): Promise<boolean>;
  /** How many tokens with this role are neither revoked nor expired at `now`. */
  liveTokens(role: string, now: number): Promise<number>;
  audit(event: AuditEvent): Promise<void>;
}

/** A web console session as stored: the hash of the cookie's id, never the id. */
export interface ConsoleSessionRecord {
  idHash: string;
  /** Signed in with an admin token, or through OpenID Connect. */
  kind: 'token' | 'oidc';
  /** The token id or the OpenID Connect subject. */
  subject: string;
  /** A built-in role or a custom role's name. */
  role: string;
  csrfSecret: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** Web console sessions (implemented by src/store/console-session-store.ts). */
export interface ConsoleSessionStore {
  insert(session: ConsoleSessionRecord): Promise<void>;
  session(idHash: string): Promise<ConsoleSessionRecord | undefined>;
  /** Moves the last-seen time forward (never back). */
  touch(idHash: string, lastSeenAt: number): Promise<void>;
  remove(idHash: string): Promise<void>;
  /** Deletes sessions expired at `now` or idle since before `idleBefore`, and sign-ins left unfinished; returns how many sessions. */
  prune(now: number, idleBefore: number): Promise<number>;
  insertLogin(login: PendingLogin): Promise<void>;
  /** The unexpired sign-in with this state, deleted as it is read: each is used at most once, on any node. */
  takeLogin(stateHash: string, now: number): Promise<PendingLogin | undefined>;
}

/** Which console sessions an operator ends: by the handle `console sessions` shows, by who signed in, or every one. */
export type ConsoleSessionSelector = { handle: string } | { subject: string } | { all: true };

/** What the operator's session commands need (implemented by src/store/console-session-store.ts). */
export interface ConsoleSessionAdminStore {
  /** Sessions still usable at `now`: not expired, seen since `idleBefore`, and for a token session its token live. */
  live(now: number, idleBefore: number): Promise<ConsoleSessionRecord[]>;
  /** Deletes the sessions the selector names (a handle is a prefix of the id hash); returns how many. */
  end(selector: ConsoleSessionSelector): Promise<number>;
  /** Deletes sessions expired at `now` or idle since before `idleBefore` (and unfinished sign-ins). */
  prune(now: number, idleBefore: number): Promise<number>;
  transaction<T>(fn: (store: ConsoleSessionAdminStore) => Promise<T>): Promise<T>;
  audit(event: AuditEvent): Promise<void>;
}

/** An OpenID Connect sign-in between the redirect to the provider and its answer. */
export interface PendingLogin {
  stateHash: string;
  /** Hash of the value in the browser's sign-in cookie: the answer must come back to the same browser. */
  browserHash: string;
  nonce: string;
  codeVerifier: string;
  expiresAt: number;
}
