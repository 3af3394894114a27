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

/** Jobs by status (done ones are kept a day, see src/duties.ts). */
export interface JobDepth {
  queued: number;
  running: number;
  failed: number;
  done: number;
}

/** What becomes of a job whose attempt failed. */
export interface JobFailure {
  /** No attempt left: the job stays failed. */
  final: boolean;
  /** Otherwise it runs again this long after now (database clock). */
  retryInMs: number;
  error: string;
}

/** A failed attempt is retried with exponential backoff (1 s, 2 s, 4 s… at most 10 min) until the last one. */
export function jobFailure(job: Job, error: string): JobFailure {
  return {
    final: job.attempts >= job.maxAttempts,
    retryInMs: Math.min(600_000, 1000 * 2 ** (job.attempts - 1)),
    error: error.slice(0, 2000),
  };
}
