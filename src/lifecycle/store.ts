import type { AuditEvent } from '../audit/log.ts';
import type { EnqueueOptions } from '../jobs/queue.ts';
import type { DeployJobRecord } from './deploy-status.ts';
import type { OrderBudget } from './rate-budget.ts';
import type { LifecycleEvents } from './events.ts';
import type { Issuer, LocalCertificate, ManagedCertificate, ManagedSpec, NewIssuer, NewRevision, RenewalState, Revision } from './types.ts';

/**
 * The lifecycle domain's storage (src/store/lifecycle-store.ts). Writes of mutable rows are
 * compare-and-swap on `version` and return false on a miss; a store bound to a transaction runs
 * every call in it, including the job it queues and the audit record it appends.
 */
export interface LifecycleStore extends LifecycleEvents {
  transaction<T>(fn: (store: LifecycleStore) => Promise<T>): Promise<T>;
  audit(event: AuditEvent): Promise<void>;
  /** Queues a job in this store's transaction; undefined when its idempotency key is taken. */
  enqueueJob(kind: string, payload: Record<string, unknown>, options: EnqueueOptions): Promise<boolean>;

  /** False when the name is taken. */
  insertIssuer(issuer: NewIssuer): Promise<boolean>;
  issuer(name: string): Promise<Issuer | undefined>;
  issuers(): Promise<Issuer[]>;
  eabHmacWrapped(name: string): Promise<Buffer | undefined>;
  /** CAS on version: new settings (`apply`); `dropAccount` forgets the upstream account (another CA, another EAB key). */
  updateIssuer(issuer: NewIssuer, version: number, dropAccount: boolean): Promise<boolean>;
  /** The row's version, for `updateIssuer`. */
  issuerVersion(name: string): Promise<number | undefined>;
  /** False when it did not exist. */
  deleteIssuer(name: string): Promise<boolean>;
  managedUsingIssuer(name: string): Promise<number>;

  /**
   * Takes one slot of the issuer's order budget, shared by every node (one conditional statement
   * on the database clock); when it is spent, how long until the next slot.
   */
  takeOrderSlot(issuer: string, budget: OrderBudget): Promise<{ taken: true } | { taken: false; waitMs: number }>;

  /** The issuer's account key, and its URL once registered ('' while the first registration is under way). */
  account(issuer: string): Promise<{ url: string; keyWrapped: Buffer } | undefined>;
  /** The key of a rollover not finished yet (kept first, so an interrupted rollover resumes with it). */
  rolloverKey(issuer: string): Promise<Buffer | undefined>;
  /** Keeps the first rollover key stored; returns the one kept. */
  insertRolloverKey(issuer: string, keyWrapped: Buffer): Promise<Buffer>;
  /** The account moves to the rollover key (CAS on the old key), the rollover row goes; false on a miss. */
  finishRollover(issuer: string, oldKeyWrapped: Buffer, newKeyWrapped: Buffer): Promise<boolean>;
  /** Keeps the first account stored for the issuer; returns the one kept. */
  insertAccount(issuer: string, url: string, keyWrapped: Buffer, now: number): Promise<{ url: string; keyWrapped: Buffer }>;
  /** Records the URL the upstream gave the stored key, when none is recorded yet. */
  recordAccountUrl(issuer: string, url: string): Promise<void>;

  /** False when the name is taken. */
  insertManaged(cert: ManagedCertificate): Promise<boolean>;
  managed(name: string): Promise<ManagedCertificate | undefined>;
  managedList(): Promise<ManagedCertificate[]>;
  /** The targets' inline secret values, wrapped (src/lifecycle/target-secrets.ts). */
  targetSecrets(name: string): Promise<Buffer | undefined>;
  /** Replaces them; undefined deletes them. */
  putTargetSecrets(name: string, wrapped: Buffer | undefined): Promise<void>;
  /** CAS on version: what an operator declares changes (`apply`); `renewAt` makes it due then, as the operator's rule. */
  updateManagedSpec(name: string, version: number, issuer: string, spec: ManagedSpec, renewAt: number | undefined): Promise<boolean>;
  /** Deletes the certificate, its revisions and its pending key; false when it did not exist. */
  deleteManaged(name: string): Promise<boolean>;
  /** Certificates whose renewal time, or ARI poll time, has come. */
  due(now: number, limit: number): Promise<ManagedCertificate[]>;
  /** CAS on version; the row's version is bumped. */
  updateRenewalState(name: string, version: number, state: RenewalState, bumpSeq: boolean): Promise<boolean>;
  /** Records the upstream order of attempt `seq` (a no-op once that attempt ended). */
  setPendingOrder(name: string, seq: number, orderUrl: string): Promise<boolean>;

  pendingKey(name: string): Promise<Buffer | undefined>;
  /** Keeps the first key stored; returns the one kept. */
  insertPendingKey(name: string, keyWrapped: Buffer): Promise<Buffer>;
  deletePendingKey(name: string): Promise<void>;

  insertRevision(rev: NewRevision): Promise<void>;
  /** Adds a certificate this CA signed to the CA's inventory (`cert list`, `cert revoke`, the CRL), in this store's transaction. */
  recordLocalCertificate(cert: LocalCertificate): Promise<void>;
  /** CAS on version: the row moves to `revision`, its renewal sequence and version advance. */
  setCurrentRevision(name: string, version: number, revision: number, state: RenewalState): Promise<boolean>;
  revisions(name: string): Promise<Revision[]>;
  /**
   * What is known of the certificate's deploys, oldest first: its `lifecycle-deploy` jobs still in
   * the queue (done ones are pruned after a day), then each target's last finished deploy, which
   * `finishDeploy` kept and which outlives its job.
   */
  deployRecords(name: string): Promise<DeployJobRecord[]>;
  /**
   * Completes the running deploy job `job` (held by `owner`) and keeps it as its target's last
   * finished deploy, in this store's transaction; false (nothing kept) when the claim was lost.
   */
  finishDeploy(job: { id: string; owner: string }, deploy: { name: string; revision: number; target: number }): Promise<boolean>;
  /** Every managed certificate's current revision: its name, serial and notAfter (for `expiring`). */
  currentExpiries(): Promise<Array<{ name: string; serial: string; notBefore: number; notAfter: number }>>;
  revisionKey(name: string, revision: number): Promise<Buffer | undefined>;
  /** Deletes all but the newest `keep` revisions; returns how many went. */
  pruneRevisions(name: string, keep: number): Promise<number>;

  putHttp01(token: string, keyAuthorization: string, managedName: string, expiresAt: number): Promise<void>;
  http01(token: string, now: number): Promise<string | undefined>;
  deleteHttp01(token: string): Promise<void>;
  /** Deletes key authorizations past their expiry (left by an attempt that died); returns how many. */
  pruneHttp01(now: number): Promise<number>;
}
