import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../store/db.ts';

/** A job as a worker sees it. */
export interface Job {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

export interface EnqueueOptions {
  /** A second enqueue with the same key is ignored (the key stays taken after completion). */
  idempotencyKey?: string;
  /** Insert the job already claimed by this owner, to run it at once on this node (no claim round trip). */
  claimFor?: { owner: string; claimMs: number };
  /** Delay before the job may run, in ms (measured on the database clock). */
  delayMs?: number;
  maxAttempts?: number;
}

interface JobRow {
  id: string;
  kind: string;
  payload: string;
  attempts: number;
  max_attempts: number;
}

/**
 * The durable job queue. Jobs are claimed with a time-limited claim (SKIP LOCKED on PostgreSQL),
 * extended while running, and re-claimed by anyone once a claim lapses: a job runs at least once,
 * so handlers are idempotent. Times come from the database clock so nodes with skewed clocks agree.
 */
export class JobQueue {
  constructor(private readonly db: Database) {}

  /** Inserts a job; returns it (as claimed, with `claimFor`), or undefined when its idempotency key is taken. */
  async enqueue(q: Queryable, kind: string, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<Job | undefined> {
    const now = this.db.dialect.nowMs;
    const id = randomBytes(12).toString('base64url');
    const claim = options.claimFor;
    const maxAttempts = options.maxAttempts ?? 5;
    const n = await q.exec(
      `INSERT INTO jobs (id, kind, payload, idempotency_key, status, run_at, attempts, max_attempts, claimed_by, claim_expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ${now} + ?, ?, ?, ?, ${now} + ?, ${now}, ${now}) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        id, kind, JSON.stringify(payload), options.idempotencyKey ?? null, claim ? 'running' : 'queued', options.delayMs ?? 0, claim ? 1 : 0, maxAttempts,
        claim?.owner ?? null, claim?.claimMs ?? 0,
      ],
    );
    if (n === 0) return undefined;
    return { id, kind, payload, attempts: claim ? 1 : 0, maxAttempts };
  }

  /** Claims up to `limit` runnable jobs of the given kinds for `owner`, for `claimMs`. */
  async claim(owner: string, kinds: readonly string[], limit: number, claimMs: number): Promise<Job[]> {
    const now = this.db.dialect.nowMs;
    const kindMarks = kinds.map(() => '?').join(', ');
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<JobRow>(
        `SELECT id, kind, payload, attempts, max_attempts FROM jobs
         WHERE kind IN (${kindMarks}) AND run_at <= ${now}
           AND (status = 'queued' OR (status = 'running' AND claim_expires_at < ${now}))
         ORDER BY run_at LIMIT ? ${this.db.dialect.skipLocked}`,
        [...kinds, limit],
      );
      for (const r of rows) {
        await tx.exec(
          `UPDATE jobs SET status = 'running', claimed_by = ?, claim_expires_at = ${now} + ?, attempts = attempts + 1, updated_at = ${now} WHERE id = ?`,
          [owner, claimMs, r.id],
        );
      }
      return rows.map((r) => ({
        id: r.id, kind: r.kind, payload: JSON.parse(r.payload) as Record<string, unknown>,
        attempts: Number(r.attempts) + 1, maxAttempts: Number(r.max_attempts),
      }));
    });
  }

  /** Extends a claim; false when the claim was lost (another node took the job). */
  async heartbeat(id: string, owner: string, claimMs: number): Promise<boolean> {
    const now = this.db.dialect.nowMs;
    const n = await this.db.exec(
      `UPDATE jobs SET claim_expires_at = ${now} + ?, updated_at = ${now} WHERE id = ? AND claimed_by = ? AND status = 'running'`,
      [claimMs, id, owner],
    );
    return n === 1;
  }

  /**
   * Completes a job, in the caller's transaction when `q` is one (so the work and its completion
   * commit together). False when this owner no longer holds the claim. Done jobs are kept for a
   * while (who completed them, when) and pruned by housekeeping.
   */
  async complete(id: string, owner: string, q: Queryable = this.db): Promise<boolean> {
    const now = this.db.dialect.nowMs;
    const n = await q.exec(
      `UPDATE jobs SET status = 'done', completed_by = ?, completed_at = ${now}, claim_expires_at = NULL, updated_at = ${now}
       WHERE id = ? AND claimed_by = ? AND status = 'running'`,
      [owner, id, owner],
    );
    return n === 1;
  }

  /** Deletes done jobs completed before `olderThanMs` ago. */
  async pruneDone(olderThanMs: number): Promise<number> {
    return this.db.exec(`DELETE FROM jobs WHERE status = 'done' AND completed_at < ${this.db.dialect.nowMs} - ?`, [olderThanMs]);
  }

  /** Records a failure: retried with exponential backoff, or left as failed after the last attempt. */
  async fail(job: Job, owner: string, error: string): Promise<void> {
    const now = this.db.dialect.nowMs;
    const final = job.attempts >= job.maxAttempts;
    const backoffMs = Math.min(60_000 * 10, 1000 * 2 ** (job.attempts - 1));
    await this.db.exec(
      `UPDATE jobs SET status = ?, run_at = ${now} + ?, last_error = ?, claimed_by = NULL, claim_expires_at = NULL, updated_at = ${now}
       WHERE id = ? AND claimed_by = ?`,
      [final ? 'failed' : 'queued', backoffMs, error.slice(0, 2000), job.id, owner],
    );
  }

  /** Gives a claim back untouched (draining): the attempt does not count. */
  async release(id: string, owner: string): Promise<void> {
    await this.db.exec(
      `UPDATE jobs SET status = 'queued', attempts = attempts - 1, claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ? AND status = 'running'`,
      [id, owner],
    );
  }

  /**
   * At start-up: jobs still claimed by this node id belong to a previous incarnation that died
   * (node ids are unique per data directory), so they are made runnable at once instead of
   * waiting for their claims to lapse.
   */
  async reclaimOwn(owner: string): Promise<number> {
    return this.db.exec(
      `UPDATE jobs SET status = 'queued', claimed_by = NULL, claim_expires_at = NULL, updated_at = ${this.db.dialect.nowMs} WHERE claimed_by = ? AND status = 'running'`,
      [owner],
    );
  }

  async depth(): Promise<{ queued: number; running: number; failed: number; done: number }> {
    const rows = await this.db.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status');
    const get = (s: string): number => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { queued: get('queued'), running: get('running'), failed: get('failed'), done: get('done') };
  }
}
