/**
 * Deploy records of SqlLifecycleStore: the `lifecycle-deploy` jobs in the queue, and each target's
 * last finished deploy (`deploy_outcomes`, migration 18), copied from its job when the job
 * completes so that it outlives the job's pruning.
 */
import { DEPLOY_JOB } from '../lifecycle/deploy-job.ts';
import type { DeployJobRecord } from '../lifecycle/deploy-status.ts';
import type { Database, Queryable } from './db.ts';
import { SqlJobStore } from './job-store.ts';

interface RecordRow {
  status: string; attempts: number | string; last_error: string | null; run_at: number | string; created_at: number | string; updated_at: number | string;
}

const fromRow = (r: RecordRow, revision: number, target: number): DeployJobRecord => ({
  revision, target, status: r.status, attempts: Number(r.attempts), lastError: r.last_error ?? undefined,
  runAt: Number(r.run_at), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

/** The jobs, oldest first, then the kept outcomes (a kept outcome and its job, while both exist, say the same). */
export async function deployRecords(q: Queryable, name: string): Promise<DeployJobRecord[]> {
  const jobs = await q.query<RecordRow & { payload: string }>(
    'SELECT payload, status, attempts, last_error, run_at, created_at, updated_at FROM jobs WHERE fair_key = ? AND kind = ? ORDER BY created_at, id', [`managed:${name}`, DEPLOY_JOB],
  );
  const kept = await q.query<RecordRow & { revision: number | string; target: number | string }>(
    'SELECT target, revision, status, attempts, last_error, run_at, created_at, updated_at FROM deploy_outcomes WHERE managed_name = ? ORDER BY target', [name],
  );
  return [
    ...jobs.map((r) => {
      const p = JSON.parse(r.payload) as { revision: number; target: number };
      return fromRow(r, Number(p.revision), Number(p.target));
    }),
    ...kept.map((r) => fromRow(r, Number(r.revision), Number(r.target))),
  ];
}

/**
 * Completes the job, then keeps its row as the target's last finished deploy, unless one of a
 * later job is kept already (two nodes finishing out of order) or the certificate was removed
 * meanwhile. A success keeps no error of an attempt before it.
 */
export async function finishDeploy(db: Database, q: Queryable, job: { id: string; owner: string }, d: { name: string; revision: number; target: number }): Promise<boolean> {
  if (!(await new SqlJobStore(db, q).complete(job.id, job.owner))) return false;
  await q.exec(
    `INSERT INTO deploy_outcomes (managed_name, target, revision, status, attempts, last_error, run_at, created_at, updated_at)
     SELECT ?, ?, ?, status, attempts, NULL, run_at, created_at, updated_at FROM jobs
     WHERE id = ? AND EXISTS (SELECT 1 FROM managed_certificates WHERE name = ?)
     ON CONFLICT (managed_name, target) DO UPDATE SET revision = excluded.revision, status = excluded.status, attempts = excluded.attempts,
       last_error = excluded.last_error, run_at = excluded.run_at, created_at = excluded.created_at, updated_at = excluded.updated_at
     WHERE excluded.created_at >= deploy_outcomes.created_at`,
    [d.name, d.target, d.revision, job.id, d.name],
  );
  return true;
}
