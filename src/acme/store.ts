import type { AuditEvent } from '../audit/log.ts';
import type { EnqueueOptions, Job } from '../jobs/queue.ts';
import type { Account, Authorization, Challenge, IssuedCertificate, Order } from './types.ts';

export interface OrderCursor {
  createdAt: number;
  id: string;
}

/** What the ACME use cases need from storage. Implemented by src/store/acme-store.ts. */
export interface AcmeStore {
  /** Runs `fn` against a store bound to one transaction. */
  transaction<T>(fn: (store: AcmeStore) => Promise<T>): Promise<T>;

  /** Queues a job in the same transaction; undefined when the idempotency key is taken. */
  enqueueJob(kind: string, payload: Record<string, unknown>, options: EnqueueOptions): Promise<Job | undefined>;
  /** Appends an audit record; inside a transaction it commits with the change it describes. */
  audit(event: AuditEvent): Promise<void>;
  /** Completes a job in the same transaction as the work it did. */
  completeJob(id: string, owner: string): Promise<boolean>;
  /**
   * Validations of the account not finished yet (queued or running). Locks the account row until
   * the transaction ends, so concurrent challenge requests of one account count one after another.
   */
  pendingValidations(accountId: string): Promise<number>;

  /** False when an account with the same key (thumbprint) exists: another request created it first. */
  insertAccount(account: Account): Promise<boolean>;
  /** Marks an unused, unrevoked EAB key as bound to an account; false if it is not available. */
  bindEabKey(kid: string, accountId: string): Promise<boolean>;
  accountById(id: string): Promise<Account | undefined>;
  accountByThumbprint(thumbprint: string): Promise<Account | undefined>;
  /**
   * CAS on version: 'changed' when the row changed meanwhile, 'keyInUse' when another account
   * holds the new key. Call it outside a transaction: after 'keyInUse' a PostgreSQL transaction is aborted.
   */
  updateAccount(account: Account): Promise<'updated' | 'changed' | 'keyInUse'>;

  /** Marks nonces used in one statement; returns those that were not used before (by any node). */
  redeemNonces(nonces: ReadonlyArray<{ nonce: string; expiresAt: number }>): Promise<Set<string>>;
  pruneNonces(now: number): Promise<number>;

  insertOrder(order: Order, authorizations: Authorization[]): Promise<void>;
  orderById(id: string): Promise<Order | undefined>;
  /** Reads an order and holds its row lock until the transaction ends: serialises work on one order. */
  lockOrder(id: string): Promise<Order | undefined>;
  updateOrder(order: Order): Promise<boolean>;
  /** Keyset pagination over an account's orders, oldest first. */
  orderIdsForAccount(accountId: string, after: OrderCursor | null, limit: number): Promise<OrderCursor[]>;
  authorizationsForOrder(orderId: string): Promise<Authorization[]>;
  authorizationById(id: string): Promise<Authorization | undefined>;
  /** The authorization a challenge belongs to, with all its challenges (that one included), in one read. */
  authorizationByChallengeId(challengeId: string): Promise<Authorization | undefined>;
  updateAuthorization(authz: Authorization): Promise<boolean>;
  challengeById(id: string): Promise<Challenge | undefined>;
  updateChallenge(challenge: Challenge): Promise<boolean>;
  /** Marks pending orders and authorizations past their expiry; returns rows changed. */
  expireStale(now: number): Promise<number>;

  insertCertificate(cert: IssuedCertificate): Promise<void>;
  certificateById(id: string): Promise<IssuedCertificate | undefined>;
  certificateBySerial(serial: string): Promise<IssuedCertificate | undefined>;
  certificateByAriId(ariId: string): Promise<IssuedCertificate | undefined>;
  markReplaced(certificateId: string, orderId: string): Promise<boolean>;
  /**
   * Identifier values this account holds valid, unexpired authorizations for; a wildcard
   * authorization as "*.<base>", since it is a different identifier from its base name (RFC 8555 §7.1.4).
   */
  validAuthorizationNames(accountId: string, now: number): Promise<Set<string>>;

  countOrdersSince(accountId: string, since: number): Promise<{ count: number; oldest: number | null }>;
  countCertificatesForNameSince(name: string, since: number): Promise<{ count: number; oldest: number | null }>;
  countFailedAuthorizationsSince(accountId: string, since: number): Promise<{ count: number; oldest: number | null }>;
  /** Records the client address (group) an account was created from, with the account. */
  insertAccountOrigin(accountId: string, addressGroup: string, at: number): Promise<void>;
  countAccountsFromSince(addressGroup: string, since: number): Promise<{ count: number; oldest: number | null }>;
  /**
   * Counts one occurrence under `key` in windows of `windowMs`: `first` for the first of a window
   * (the one to record), with how many occurred in the window before it.
   */
  foldOccurrence(key: string, windowMs: number, now: number): Promise<{ first: boolean; previous: number }>;
}

