/**
 * Where each deploy target of a managed certificate stands, read from its `lifecycle-deploy` jobs
 * (deploy-job.ts): the queue records every attempt's outcome, its error and when. Done jobs are
 * pruned a day after they finish (src/duties.ts), so a successful deploy is also kept as its
 * target's last finished deploy, in the same shape, and judged by the same rules here.
 */
import type { DeclaredTarget } from './deploy/types.ts';

/** One `lifecycle-deploy` job (or the kept copy of the last one done for its target) as the status needs it. */
export interface DeployJobRecord {
  revision: number;
  target: number;
  status: string;
  attempts: number;
  lastError: string | undefined;
  runAt: number;
  createdAt: number;
  updatedAt: number;
}

/** deployed / verified (the endpoint serves it) / failed / waiting (for its window, or a retry) / pending (about to run) / none (no record). */
type DeployState = 'deployed' | 'verified' | 'failed' | 'waiting' | 'pending' | 'none';

export interface TargetDeploy {
  target: number;
  type: string;
  revision: number | undefined;
  state: DeployState;
  /** Plain words: the error of a failure, when a wait ends. */
  detail: string;
  /** When the outcome was recorded, or when a waiting deploy runs. */
  at: number | undefined;
}

function stateOf(target: DeclaredTarget, job: DeployJobRecord, now: number): Omit<TargetDeploy, 'target' | 'type' | 'revision'> {
  const error = job.lastError ?? 'no error recorded';
  if (job.status === 'done') {
    return target.verify ? { state: 'verified', detail: 'the endpoint serves this revision', at: job.updatedAt } : { state: 'deployed', detail: 'deployed', at: job.updatedAt };
  }
  if (job.status === 'failed') return { state: 'failed', detail: `${error} (gave up after ${job.attempts} attempts)`, at: job.updatedAt };
  if (job.status === 'queued' && job.attempts > 0) return { state: 'failed', detail: `${error}; next try ${new Date(job.runAt).toISOString()}`, at: job.updatedAt };
  if (job.status === 'queued' && job.runAt > now) {
    const why = target.window ? `waiting for its maintenance window (${target.window.start}–${target.window.end})` : 'waiting to run';
    return { state: 'waiting', detail: why, at: job.runAt };
  }
  return { state: 'pending', detail: job.status === 'running' ? 'deploying now' : 'queued', at: job.runAt };
}

/** Each declared target's latest deploy (the newest record for it: a later one wins a tie), in declaration order. */
export function deployStatus(targets: readonly DeclaredTarget[], jobs: readonly DeployJobRecord[], now: number): TargetDeploy[] {
  return targets.map((target, index) => {
    let latest: DeployJobRecord | undefined;
    for (const j of jobs) if (j.target === index && (latest === undefined || j.createdAt >= latest.createdAt)) latest = j;
    if (latest === undefined) return { target: index, type: target.type, revision: undefined, state: 'none', detail: 'not deployed yet', at: undefined };
    return { target: index, type: target.type, revision: latest.revision, ...stateOf(target, latest, now) };
  });
}
