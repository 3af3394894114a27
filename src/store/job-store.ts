import { randomBytes } from 'node:crypto';
import type { EnqueueOptions, Job, JobDepth, JobFailure } from '../jobs/queue.ts';
import type { JobStore } from '../jobs/store.ts';
import type { Database, Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';

interface JobRow {
  id: string;
  kind: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  fair_key: string | null;
}

/**
 * The `jobs` table. Bound to a transaction (`q`), every statement runs in it: the ACME store and
 * the scheduler queue jobs, and handlers complete them, in the transaction of the work itself.
 */
export class SqlJobStore implements JobStore {
  constructor(
    private readonly db: Database,
    private readonly q: Queryable = db,
  ) {}

  async enqueue(kind: string, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<Job | undefined> {
    const now = this.db.dialect.nowMs;
    const id = randomBytes(12).toString('base64url');
    const claim = options.claimFor;
    const maxAttempts = options.maxAttempts ?? 5;
    const n = await this.q.exec(
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
   * Each fairness key's runnable jobs are ranked oldest first, and a job's priority is its rank
   * plus the jobs of its key running anywhere. PostgreSQL cannot lock rows in a query with window
   * functions, so the ranked candidates are read first, then locked with SKIP LOCKED (re-checked,
   * since another claimer may have taken them meanwhile); extra candidates make up for rows locked
   * by concurrent claimers. Runs in its own transaction unless the store is bound to one; then the
   * candidates are read before it, so a claim that finds nothing (most of them: a node claims
   * after every job it finishes) costs one read and no transaction.
   */
  async claim(owner: string, kinds: readonly string[], limit: number, claimMs: number, perKey = limit): Promise<Job[]> {
    const now = this.db.dialect.nowMs;
    const runnable = `kind IN (${placeholders(kinds.length)}) AND run_at <= ${now} AND (status = 'queued' OR (status = 'running' AND claim_expires_at < ${now}))`;
    const rank = async (q: Queryable): Promise<string[]> => {
      const rows = await q.query<{ id: string }>(
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
      return rows.map((r) => r.id);
    };
    const take = async (tx: Queryable, candidates: string[]): Promise<Job[]> => {
      if (candidates.length === 0) return [];
      const order = new Map(candidates.map((id, i) => [id, i]));
      const locked = await tx.query<JobRow>(
        `SELECT id, kind, payload, attempts, max_attempts, fair_key FROM jobs WHERE id IN (${placeholders(candidates.length)}) AND ${runnable} ${this.db.dialect.skipLocked}`,
        [...candidates, ...kinds],
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
    };
    if (this.q !== this.db) return take(this.q, await rank(this.q));
    const candidates = await rank(this.db);
    return candidates.length === 0 ? [] : this.db.transaction((tx) => take(tx, candidates));
  }

  async pendingForKey(fairKey: string): Promise<number> {
    const rows = await this.q.query<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE fair_key = ? AND status IN ('queued', 'running')`, [fairKey]);
    return Number(rows[0]?.n ?? 0);
  }

  async heartbeat(id: string, owner: string, claimMs: number): Promise<boolean> {
    const now = this.db.dialect.nowMs;
    const n = await this.q.exec(
      `UPDATE jobs SET claim_expires_at = ${now} + ?, updated_at = ${now} WHERE id = ? AND claimed_by = ? AND status = 'running'`,
      [claimMs, id, owner],
    );
    return n === 1;
  }

  /** Done jobs are kept a while (who completed them, when) and pruned by housekeeping. */
  async complete(id: string, owner: string): Promise<boolean> {
    const now = this.db.dialect.nowMs;
    const n = await this.q.exec(
      `UPDATE jobs SET status = 'done', completed_by = ?, completed_at = ${now}, claim_expires_at = NULL, updated_at = ${now}
       WHERE id = ? AND claimed_by = ? AND status = 'running'`,
      [owner, id, owner],
    );
    return n === 1;
  }

  /**
   * The cutoff is read from the database clock first and bound as a value: PostgreSQL cannot
   * estimate `completed_at < clock_timestamp() - …` (a volatile expression), so it planned a
   * sequential scan of every job instead of the jobs_done index (test/integration/store.explain.test.ts).
   */
  async pruneDone(olderThanMs: number): Promise<number> {
    const rows = await this.q.query<{ now: number }>(`SELECT ${this.db.dialect.nowMs} AS now`);
    const cutoff = Number(rows[0]?.now) - olderThanMs;
    return this.q.exec(`DELETE FROM jobs WHERE status = 'done' AND completed_at < ?`, [cutoff]);
  }

  async fail(id: string, owner: string, failure: JobFailure): Promise<void> {
    const now = this.db.dialect.nowMs;
    await this.q.exec(
      `UPDATE jobs SET status = ?, run_at = ${now} + ?, last_error = ?, claimed_by = NULL, claim_expires_at = NULL, updated_at = ${now}
       WHERE id = ? AND claimed_by = ?`,
      [failure.final ? 'failed' : 'queued', failure.retryInMs, failure.error, id, owner],
    );
  }

  async release(id: string, owner: string): Promise<void> {
    await this.q.exec(
      `UPDATE jobs SET status = 'queued', attempts = attempts - 1, claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ? AND status = 'running'`,
      [id, owner],
    );
  }

  reclaimOwn(owner: string): Promise<number> {
    return this.q.exec(
      `UPDATE jobs SET status = 'queued', claimed_by = NULL, claim_expires_at = NULL, updated_at = ${this.db.dialect.nowMs} WHERE claimed_by = ? AND status = 'running'`,
      [owner],
    );
  }

  async depth(): Promise<JobDepth> {
    const rows = await this.q.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status');
    const get = (s: string): number => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { queued: get('queued'), running: get('running'), failed: get('failed'), done: get('done') };
  }
}
