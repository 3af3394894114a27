import type { Database } from '../store/db.ts';
import { currentSchema, LATEST_SCHEMA } from '../store/migrations.ts';
import type { JobStore } from '../jobs/store.ts';

export interface HealthDeps {
  db: Database;
  jobs: Pick<JobStore, 'depth'>;
  nodeId: string;
  version: string;
  startedAt: number;
  caLoaded: () => boolean;
  /** Whether this node's KEK still opens the database's secrets (false after a rotation it missed). */
  kekOk: () => Promise<boolean>;
  draining: () => boolean;
  dialect: string;
  /** Leases this node holds and trusts now. */
  leases: () => Array<{ name: string; token: number }>;
  fencing: { rejected: number };
}

export interface ReadyReport {
  /** Serving: the database answers (a standby will do), the schema is current, CA and KEK loaded, not draining. */
  ready: boolean;
  /** The database answers reads, so everything that needs no write is served (directory, newNonce, GETs). */
  reads: boolean;
  /** The database accepts writes; while false, writes are refused with a retryable 503 (`unavailable`). */
  writes: boolean;
  checks: { database: string; writes: string; schema: string; ca: string; kek: string; draining: string };
  databaseLatencyMs: number | null;
  /** primary (accepts writes), standby, or unknown when unreachable. */
  databaseRole: 'primary' | 'standby' | 'unknown';
}

/** Below a load balancer's usual check timeout, so an unreachable database makes /readyz fail, not hang. */
const PING_TIMEOUT_MS = 1000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

/**
 * /readyz: the database answers through the pool, the schema is current, CA keys are unwrapped, not
 * draining. A database that answers but takes no writes (only a standby reachable during a failover)
 * leaves the node ready: reads are served and writes get a retryable 503, from every node alike,
 * instead of the whole front answering 503. A database that does not answer at all makes it not ready.
 */
export async function readiness(deps: HealthDeps): Promise<ReadyReport> {
  const checks = { database: 'ok', writes: 'ok', schema: 'ok', ca: deps.caLoaded() ? 'ok' : 'not loaded', kek: 'ok', draining: deps.draining() ? 'draining' : 'no' };
  let latency: number | null = null;
  let role: ReadyReport['databaseRole'] = 'unknown';
  try {
    const t = performance.now();
    const schema = await withTimeout(currentSchema(deps.db), PING_TIMEOUT_MS);
    const writable = await withTimeout(deps.db.writable(), PING_TIMEOUT_MS);
    latency = Math.round((performance.now() - t) * 10) / 10;
    role = writable ? 'primary' : 'standby';
    if (!writable) checks.writes = 'unavailable: connected to a read-only standby, not the primary (failover in progress?)';
    if (!(await deps.kekOk())) checks.kek = 'this node\'s KEK cannot unwrap the secrets (rotated to a KEK this node was not given)';
    if (schema !== LATEST_SCHEMA) checks.schema = `at ${schema}, expected ${LATEST_SCHEMA}; run "certainty migrate"`;
  } catch (err) {
    checks.database = `unreachable: ${(err as Error).message}`;
    checks.writes = 'unavailable: the database is unreachable';
    checks.schema = 'unknown';
  }
  const reads = checks.database === 'ok';
  const ready = reads && checks.schema === 'ok' && checks.ca === 'ok' && checks.kek === 'ok' && checks.draining === 'no';
  return { ready, reads, writes: checks.writes === 'ok', checks, databaseLatencyMs: latency, databaseRole: role };
}

/** /healthz: a JSON summary for people. */
export async function healthSummary(deps: HealthDeps): Promise<Record<string, unknown>> {
  const ready = await readiness(deps);
  let queue: unknown = null;
  if (ready.checks.database === 'ok') queue = await deps.jobs.depth().catch(() => null);
  return {
    status: ready.ready ? 'ready' : 'not ready',
    node: deps.nodeId,
    version: deps.version,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    database: { dialect: deps.dialect, role: ready.databaseRole, latencyMs: ready.databaseLatencyMs, state: ready.checks.database, reads: ready.reads, writes: ready.writes },
    checks: ready.checks,
    leases: deps.leases(),
    fencing: { rejected: deps.fencing.rejected },
    queue,
  };
}
