import type { KeyAlgorithm } from './keys.ts';

/** One row of the CA hierarchy: a root or the issuing intermediate, its key wrapped by the KEK. */
export interface IssuerRecord {
  id: string;
  role: 'root' | 'intermediate';
  /** 'external': an imported root whose key this CA does not hold. */
  algorithm: KeyAlgorithm | 'external';
  certPem: string;
  /** The certificate and anything between it and the root, PEM. */
  chainPem: string;
  /** Null for an imported root: only its certificate is known. */
  keyWrapped: Buffer | null;
  notAfter: number;
}

/** The CA's issuers (implemented by src/store/issuer-store.ts). */
export interface IssuerStore {
  /** True when an active issuing intermediate exists. */
  hasActiveCa(): Promise<boolean>;
  /**
   * Inserts a new CA's issuers as active unless an active issuing intermediate exists, checked
   * again under a lock so two nodes starting at once create one CA; false when one already did.
   */
  insertCa(issuers: readonly IssuerRecord[], createdAt: number): Promise<boolean>;
  /** The active issuers (the intermediate and, unless only the intermediate is known, the root). */
  activeIssuers(): Promise<IssuerRecord[]>;
}

/** The audit record a revocation appends (an src/audit AuditEvent). */
export interface RevocationEvent {
  actor: string;
  action: 'certificate.revoked';
  object: string;
  outcome: 'success';
  details: { reason: number };
}

/**
 * What revoking a certificate writes, all in one transaction (implemented by
 * src/store/crl-store.ts): the certificate, its issuer's revocation generation, the CRL job, the
 * audit record. See src/ca/crl-publisher.ts for why the generation and the job commit with it.
 */
export interface RevocationStore {
  transaction<T>(fn: (store: RevocationStore) => Promise<T>): Promise<T>;
  /**
   * Marks the certificate revoked, on CRL shard `shard` (null: the issuer-wide CRL), unless it
   * already is; its issuer's id, or undefined when it was already revoked.
   */
  markRevoked(certificateId: string, at: number, reason: number, shard: number | null): Promise<string | undefined>;
  /**
   * Bumps the issuer's revocation generation and returns it. Revocations of one issuer queue on
   * this counter until they commit, so generations follow commit order.
   */
  bumpRevocationGeneration(issuerId: string): Promise<number>;
  /** The same for one CRL shard of the issuer. */
  bumpShardGeneration(issuerId: string, shard: number): Promise<number>;
  /** Queues the job that brings the issuer's CRL, or one shard's, up to `generation` (at most one per generation). */
  queueCrlJob(issuerId: string, generation: number, shard: number | null): Promise<void>;
  audit(event: RevocationEvent): Promise<void>;
}
