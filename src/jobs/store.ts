import type { EnqueueOptions, Job, JobDepth, JobFailure } from './queue.ts';

/**
 * The durable job queue's storage. Jobs are claimed with a time-limited claim, extended while
 * running, and re-claimed by anyone once a claim lapses: a job runs at least once, so handlers are
 * idempotent. Every time is taken from the database clock, so nodes with skewed clocks agree.
 * Implemented by src/store/job-store.ts; a store bound to a transaction runs every call in it.
 */
export interface JobStore {
  /** Inserts a job; returns it (as claimed, with `claimFor`), or undefined when its idempotency key is taken. */
  enqueue(kind: string, payload: Record<string, unknown>, options?: EnqueueOptions): Promise<Job | undefined>;
  /**
   * Claims up to `limit` runnable jobs of `kinds` for `owner`, for `claimMs`, fairly: a fairness
   * key with nothing running comes before any key's second job, one key's backlog never delays
   * another key's first, and a key already running `perKey` jobs under `owner` gets no more.
   * Jobs without a key rank first, oldest first. Concurrent claimers never take the same job.
   */
  claim(owner: string, kinds: readonly string[], limit: number, claimMs: number, perKey?: number): Promise<Job[]>;
  /** Jobs of a fairness key not finished yet (queued or running). */
  pendingForKey(fairKey: string): Promise<number>;
  /** Extends a claim; false when the claim was lost (another node took the job). */
  heartbeat(id: string, owner: string, claimMs: number): Promise<boolean>;
  /** Marks a job done (who, when); false when `owner` no longer holds the claim. */
  complete(id: string, owner: string): Promise<boolean>;
  /** Records a failed attempt: queued again after its backoff, or left failed. */
  fail(id: string, owner: string, failure: JobFailure): Promise<void>;
  /** Gives a claim back untouched (draining): the attempt does not count. */
  release(id: string, owner: string): Promise<void>;
  /**
   * At start-up: jobs still claimed by this node id belong to a previous incarnation that died
   * (node ids are unique per data directory), so they are made runnable at once instead of
   * waiting for their claims to lapse.
   */
  reclaimOwn(owner: string): Promise<number>;
  /** Deletes done jobs completed more than `olderThanMs` ago. */
  pruneDone(olderThanMs: number): Promise<number>;
  depth(): Promise<JobDepth>;
}
