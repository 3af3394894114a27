import type { AuditEvent } from '../audit/log.ts';
import type { TokenRole } from './roles.ts';

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
  role: TokenRole;
  createdAt: number;
  expiresAt: number | null;
}

export interface AdminTokenRecord extends CredentialRecord {
  id: string;
  name: string;
  role: TokenRole;
  expiresAt: number | null;
}

/** What verifying a token needs: its hash, role, and whether it still holds. */
export interface StoredToken {
  hash: string;
  role: TokenRole;
  revokedAt: number | null;
  expiresAt: number | null;
}

export interface AdminTokenStore extends CredentialStore<NewAdminToken, AdminTokenRecord> {
  tokenHash(id: string): Promise<StoredToken | undefined>;
}
