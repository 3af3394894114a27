import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../store/db.ts';

/** A job as a worker sees it. */
export interface Job {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  /** Jobs sharing a fairness key (for validations: the account) take turns with other keys. */
  fairKey: string | null;
}

export interface EnqueueOptions {
  /** A second enqueue with the same key is ignored (the key stays taken after completion). */
  idempotencyKey?: string;
  /** Insert the job already claimed by this owner, to run it at once on this node (no claim round trip). */
  claimFor?: { owner: string; claimMs: number };
  /** Delay before the job may run, in ms (measured on the database clock). */
  delayMs?: number;
  maxAttempts?: number;
  /** Claims go round-robin across keys, and a claimer runs at most `perKey` jobs of one key at once. */
  fairKey?: string;
}

interface JobRow {
  id: string;
  kind: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  fair_key: string | null;
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
      `INSERT INTO jobs (id, kind, payload, idempotency_key, status, run_at, attempts, max_attempts, claimed_by, claim_expires_at, fair_key, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ${now} + ?, ?, ?, ?, ${now} + ?, ?, ${now}, ${now}) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        id, kind, JSON.stringify(payload), options.idempotencyKey ?? null, claim ? 'running' : 'queued', options.delayMs ?? 0, claim ? 1 : 0, maxAttempts,
        claim?.owner ?? null, claim?.claimMs ?? 0, options.fairKey ?? null,
      ],
    );
    if (n === 0) return undefined;
    return { id, kind, payload, attempts: claim ? 1 : 0, maxAttempts, fairKey: options.fairKey ?? null };
  }

  /**
   * Claims up to `limit` runnable jobs of the given kinds for `owner`, for `claimMs`, fairly: each
   * fairness key's runnable jobs are ranked oldest first, and a job's priority is its rank plus
   * the jobs of its key running anywhere, so a key with nothing running comes before any key's
   * second, and one key's backlog never delays another key's first job. A key already running
   * `perKey` jobs under this owner gets no more here. Jobs without a key rank first, oldest first.
   * PostgreSQL cannot lock rows in a query with window functions, so the ranked candidates are
   * read first, then locked with SKIP LOCKED (re-checked, since another claimer may have taken
   * them meanwhile); extra candidates make up for rows locked by concurrent claimers.
   */
  async claim(owner: string, kinds: readonly string[], limit: number, claimMs: number, perKey = limit): Promise<Job[]> {
    const now = this.db.dialect.nowMs;
    const kindMarks = kinds.map(() => '?').join(', ');
    const runnable = `kind IN (${kindMarks}) AND run_at <= ${now} AND (status = 'queued' OR (status = 'running' AND claim_expires_at < ${now}))`;
    return this.db.transaction(async (tx) => {
      const candidates = await tx.query<{ id: string }>(
        `SELECT r.id FROM (
           SELECT id, fair_key, run_at, ROW_NUMBER() OVER (PARTITION BY COALESCE(fair_key, id) ORDER BY run_at, id) AS rank
           FROM jobs WHERE ${runnable}
         ) r
         LEFT JOIN (
           SELECT fair_key, COUNT(*) AS anywhere, SUM(CASE WHEN claimed_by = ? THEN 1 ELSE 0 END) AS here FROM jobs
           WHERE fair_key IS NOT NULL AND status = 'running' AND claim_expires_at >= ${now} GROUP BY fair_key
         ) busy ON busy.fair_key = r.fair_key
         WHERE r.rank + COALESCE(busy.here, 0) <= ?
         ORDER BY r.rank + COALESCE(busy.anywhere, 0), r.run_at, r.id LIMIT ?`,
        [...kinds, owner, perKey, limit * 2],
      );
      if (candidates.length === 0) return [];
      const order = new Map(candidates.map((c, i) => [c.id, i]));
      const locked = await tx.query<JobRow>(
        `SELECT id, kind, payload, attempts, max_attempts, fair_key FROM jobs WHERE id IN (${candidates.map(() => '?').join(', ')}) AND ${runnable} ${this.db.dialect.skipLocked}`,
        [...candidates.map((c) => c.id), ...kinds],
      );
      const rows = locked.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)).slice(0, limit);
      for (const r of rows) {
        await tx.exec(
          `UPDATE jobs SET status = 'running', claimed_by = ?, claim_expires_at = ${now} + ?, attempts = attempts + 1, updated_at = ${now} WHERE id = ?`,
          [owner, claimMs, r.id],
        );
      }
      return rows.map((r) => ({
        id: r.id, kind: r.kind, payload: JSON.parse(r.payload) as Record<string, unknown>,
        attempts: Number(r.attempts) + 1, maxAttempts: Number(r.max_attempts), fairKey: r.fair_key,
      }));
    });
  }

  /** Jobs of a fairness key not finished yet (queued or running). */
  async pendingForKey(q: Queryable, fairKey: string): Promise<number> {
    const rows = await q.query<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE fair_key = ? AND status IN ('queued', 'running')`, [fairKey]);
    return Number(rows[0]?.n ?? 0);
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
