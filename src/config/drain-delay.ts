// How long a SIGTERMed node keeps serving after it reports not ready, when `server.drainDelayMs`
// is not set. The choice depends on the database, so it is made once at start, where the opened
// database's dialect is known, and logged with its reason.

/** The front health check docs/ha.md documents (and the cluster tests and the lab run). */
export const DOCUMENTED_CHECK = { interMs: 500, fall: 2 } as const;

/**
 * On top of `inter × fall`: one more interval for a check already in flight when the node turned
 * not ready, and one for the request HAProxy had just sent it. 2 s in all is what the lab drilled
 * with zero requests cut (`drill node-term`, docs/ha.md); 0 cut one.
 */
const DRAIN_MARGIN_MS = 2 * DOCUMENTED_CHECK.interMs;

export interface DrainDelay {
  readonly ms: number;
  /** Why this value, for the start-up log line. */
  readonly why: string;
}

/**
 * The configured delay, or, unset: on PostgreSQL (a cluster, behind a load balancer) long enough
 * for the documented health check to take the node out before its listener closes; on SQLite
 * (one node, nothing to fail over to) none, so a restart is not slowed for nobody's benefit.
 */
export function resolveDrainDelay(configured: number | undefined, dialect: 'sqlite' | 'postgres'): DrainDelay {
  if (configured !== undefined) return { ms: configured, why: 'server.drainDelayMs' };
  if (dialect === 'sqlite') return { ms: 0, why: 'default on SQLite: one node, no load balancer to tell' };
  const { interMs, fall } = DOCUMENTED_CHECK;
  return {
    ms: interMs * fall + DRAIN_MARGIN_MS,
    why: `default on PostgreSQL: covers a load balancer check of inter ${interMs} ms × fall ${fall} + ${DRAIN_MARGIN_MS} ms; set server.drainDelayMs if your checks are slower`,
  };
}
