import type { AuditAction, AuditRecord } from './chain.ts';

/** A node's chain head: the seq and hash of its last record (0 and the genesis hash before any). */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** A head read under its row lock, with the database clock at that moment (the next record's time). */
export interface LockedHead extends ChainHead {
  now: number;
}

/**
 * Appending to a node's chain. The rules (hashing, checks) are src/audit/log.ts's; this reads and
 * writes the rows. A store is bound either to the database or to a caller's open transaction.
 */
export interface AuditChainStore {
  /**
   * Runs `fn` in a transaction: the caller's, when this store is bound to one (the record then
   * commits with the change it describes or not at all), else a new one.
   */
  transaction<T>(fn: (store: AuditChainStore) => Promise<T>): Promise<T>;
  /**
   * Reads the node's head and holds its row lock until the transaction ends, creating it at seq 0
   * with `genesis` on the node's first record. Only this node's appends wait on it.
   */
  lockHead(nodeId: string, genesis: string): Promise<LockedHead>;
  /** Inserts `record` and moves its node's head to it from `prevSeq`; false when the head was not at `prevSeq`. */
  append(record: AuditRecord, prevSeq: number): Promise<boolean>;
  /** The action of the node's record at `seq`, if there is one. */
  actionAt(nodeId: string, seq: number): Promise<string | undefined>;
  /** The node's latest record with `action`. */
  latest(nodeId: string, action: AuditAction): Promise<AuditRecord | undefined>;
}

/** What `certainty audit list` filters on. */
export interface AuditFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  actor?: string;
  action?: AuditAction;
  /** What it was done to, e.g. `secret:cluster/db` ("who revealed X"). */
  object?: string;
  nodeId?: string;
  limit: number;
}

/** Reading the chains as they are stored, for verification and listing. */
export interface AuditReadStore {
  /** Every node's head. */
  heads(): Promise<Map<string, ChainHead>>;
  /** The node's current head seq, if it has a head. */
  headSeq(nodeId: string): Promise<number | undefined>;
  /** Every node id that has records. */
  nodesWithRecords(): Promise<string[]>;
  /** Up to `limit` records of the node with `after < seq <= upTo`, in seq order. */
  records(nodeId: string, after: number, upTo: number, limit: number): Promise<AuditRecord[]>;
  /** The hash of the node's record at `seq`, if there is one. */
  hashAt(nodeId: string, seq: number): Promise<string | undefined>;
  /** A record of the node carrying `hash`, if any. */
  recordWithHash(nodeId: string, hash: string): Promise<AuditRecord | undefined>;
  /** How many of the node's records with `after < seq <= upTo` have another action than `action`. */
  countOtherThan(nodeId: string, after: number, upTo: number, action: AuditAction): Promise<number>;
  /** The node's lowest seq above `seq`, if any. */
  firstAfter(nodeId: string, seq: number): Promise<number | undefined>;
  /** Records matching every given filter, newest first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}

/**
 * Delivery state: one cursor per (sink, node chain) holding the last seq the sink acknowledged.
 * A node's records get dense seqs in commit order (the chain head is locked while appending), so
 * "everything up to seq N was delivered" is one number, and nothing committed later can fall
 * behind it. A cursor moves only after the sink acknowledged, hence at least once, never lost.
 */
export interface Cursor {
  sink: string;
  nodeId: string;
  /** Last delivered seq (0: none). */
  seq: number;
  attempts: number;
}

export interface CursorStatus extends Cursor {
  headSeq: number;
  lastError: string | null;
  nextAttemptAt: number;
  deliveredAt: number | null;
  claimedBy: string | null;
}

/** Who claims cursors, and for how long a claim holds without being extended. */
export interface Claimant {
  owner: string;
  claimMs: number;
}

/**
 * The sinks' cursors. Claims and backoff use the database clock so nodes with skewed clocks
 * agree; a cursor is claimable when unclaimed, claimed by the same owner, or its claim lapsed.
 */
export interface AuditOutboxStore {
  /** Starts a cursor at 0 for every chain the sink has none for: a new sink receives the whole history. */
  ensureCursors(sink: string): Promise<void>;
  /** Cursors of `sink` behind their chain's head, due for an attempt, and claimable by `by`, the longest waiting first. */
  due(sink: string, by: Claimant): Promise<Cursor[]>;
  /** Takes the cursor until the claim lapses; false if another owner holds it or it moved. */
  claim(cursor: Cursor, by: Claimant): Promise<boolean>;
  /** Up to `limit` records after the cursor, in seq order. */
  batch(cursor: Cursor, limit: number): Promise<AuditRecord[]>;
  /** Records the acknowledgement of everything up to `toSeq` and extends the claim; false if the claim was lost. */
  advance(cursor: Cursor, toSeq: number, by: Claimant): Promise<boolean>;
  /** Gives the claim back. */
  release(cursor: Cursor, by: Claimant): Promise<void>;
  /** Counts a failed attempt, schedules the next one `delayMs` from now, and releases the claim. */
  fail(cursor: Cursor, by: Claimant, delayMs: number, error: string): Promise<void>;
  /** Every cursor with its chain's head, by sink and node. */
  cursors(): Promise<CursorStatus[]>;
}

/** The cluster's checkpoint signing key, as the database holds it: PKCS#8 wrapped by the KEK, base64. */
export interface CheckpointKeyStore {
  /** The wrapped key, or undefined before any node created one. */
  wrappedKey(): Promise<string | undefined>;
  /** The wrapped key, stored from `create()` first when there is none; the first writer wins. */
  wrappedKeyOrCreate(create: () => string): Promise<string>;
}
