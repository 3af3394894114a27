import type { EnqueueOptions, Job } from '../jobs/queue.ts';
import type { Lease } from './leases.ts';

/** A lease row as stored; `expiresInMs` is measured on the database clock (negative once lapsed). */
export interface LeaseRecord {
  name: string;
  holder: string | null;
  token: number;
  expiresAt: number;
  expiresInMs: number;
}

/**
 * Named leases. Acquisition and renewal are single conditional statements on the database clock;
 * every acquisition takes a strictly higher fencing token. Implemented by src/store/cluster-store.ts.
 */
export interface LeaseStore {
  /** Takes the lease if it is free, expired, or was `holder`'s; returns its new token, or undefined. */
  acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a lease `holder` holds; false when its token is no longer current (fenced off). */
  renew(lease: Lease, holder: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease at once, if `holder` still holds it under this token. */
  release(lease: Lease, holder: string): Promise<void>;
  list(): Promise<LeaseRecord[]>;
}

/** A node's row: its identity, what it last reported, and its heartbeat's age on the database clock. */
export interface NodeRecord {
  id: string;
  instance: string;
  version: string;
  address: string;
  status: string;
  startedAt: number;
  lastSeen: number;
  ageMs: number;
}

/** The `nodes` table: one row per node id, written by the process currently running it. */
export interface NodeStore {
  /** The row of node `id`, if any. */
  node(id: string): Promise<NodeRecord | undefined>;
  /** Inserts or takes over node `id`'s row for this process, status up, started and seen now. */
  register(node: { id: string; instance: string; version: string; address: string }): Promise<void>;
  /** Records a heartbeat; false when the row belongs to another instance now. */
  heartbeat(id: string, instance: string, status: 'up' | 'draining' | 'stopped'): Promise<boolean>;
  list(): Promise<NodeRecord[]>;
}

/** One schedule made due: moved to its next period under a lease token. */
export interface ScheduleAdvance {
  name: string;
  /** The due time it had (its period's identity). */
  slot: number;
  periodMs: number;
  token: number;
  holder: string;
}

/** The `schedules` table (one row per duty: when it is next due, who enqueued it last). */
export interface ScheduleStore {
  /** Adds the schedules not there yet, due at once. */
  addSchedules(names: readonly string[]): Promise<void>;
  /** Runs `fn` against a store bound to one transaction. */
  transaction<T>(fn: (store: ScheduleStore) => Promise<T>): Promise<T>;
  /**
   * In a transaction: whether the lease is still `holder`'s under this token and unexpired; when it
   * is, its row stays locked until commit, so the lease cannot move before the writes made under it commit.
   */
  fence(lease: Lease, holder: string): Promise<boolean>;
  /** Schedules due now, with the due time each had. */
  due(): Promise<Array<{ name: string; slot: number }>>;
  /** Moves a due schedule to one period from now (database clock), recording the token and holder. */
  advance(change: ScheduleAdvance): Promise<void>;
  /** Queues a job in the same transaction; undefined when the idempotency key is taken. */
  enqueueJob(kind: string, payload: Record<string, unknown>, options: EnqueueOptions): Promise<Job | undefined>;
}
