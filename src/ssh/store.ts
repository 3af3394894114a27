import type { AuditEvent } from '../audit/log.ts';
import type { SshCertKind } from './certificate.ts';
import type { SshCa, SshCaStatus, SshCertRecord, SshRevocation, SshRole } from './types.ts';

/** The stored KRL, with the revocation generation it covers. */
export interface StoredKrl {
  generation: number;
  krl: Buffer;
  generatedAt: number;
}

/** Everything the SSH CA persists: CAs (keys wrapped by the KEK), roles, certificates, revocations, the KRL. */
export interface SshStore {
  /** Runs `fn` with this store bound to one transaction. */
  transaction<T>(fn: (store: SshStore) => Promise<T>): Promise<T>;
  /** Appends an audit record in this store's transaction. */
  audit(event: AuditEvent): Promise<void>;

  /** Inserts a CA; false when `status` is `active` and the kind already has an active CA. */
  insertCa(ca: SshCa, keyWrapped: Buffer): Promise<boolean>;
  cas(kind?: SshCertKind): Promise<SshCa[]>;
  caKey(id: string): Promise<Buffer | undefined>;
  /** Compare-and-swap on `version`. */
  setCaStatus(ca: SshCa, status: SshCaStatus): Promise<boolean>;

  role(name: string): Promise<{ role: SshRole; version: number } | undefined>;
  roles(): Promise<SshRole[]>;
  /** Inserts (`version` undefined) or replaces the role at `version`; false on a lost race. */
  putRole(role: SshRole, version: number | undefined, now: number): Promise<boolean>;
  deleteRole(name: string): Promise<boolean>;
  /** The name of an admin token (for principal templates). */
  tokenName(id: string): Promise<string | undefined>;

  insertCertificate(cert: SshCertRecord): Promise<void>;
  certificate(serial: string): Promise<SshCertRecord | undefined>;
  certificates(limit: number): Promise<SshCertRecord[]>;
  counts(): Promise<{ certificates: number; revoked: number; revocations: number }>;

  /** Records a revocation, marks the certificates it covers and bumps the generation; false when it was already recorded. */
  insertRevocation(rev: SshRevocation, fingerprint: string | undefined): Promise<boolean>;
  revocations(): Promise<SshRevocation[]>;
  generation(): Promise<number>;
  storedKrl(): Promise<StoredKrl | undefined>;
  /** Stores the KRL unless one of the same or a later generation already is. */
  storeKrl(krl: StoredKrl): Promise<void>;
}
