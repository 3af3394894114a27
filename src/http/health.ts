import type { Database } from '../store/db.ts';
import { currentSchema, LATEST_SCHEMA } from '../store/migrations.ts';
import type { JobQueue } from '../jobs/queue.ts';

export interface HealthDeps {
  db: Database;
  jobs: JobQueue;
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
  ready: boolean;
  checks: { database: string; schema: string; ca: string; kek: string; draining: string };
  databaseLatencyMs: number | null;
  /** primary (accepts writes), standby, or unknown when unreachable. */
  databaseRole: 'primary' | 'standby' | 'unknown';
}

/** Below a load balancer's usual check timeout, so an unreachable database makes /readyz fail, not hang. */
const PING_TIMEOUT_MS = 1000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

/** /readyz: the database answers through the pool, the schema is current, CA keys are unwrapped, not draining. */
export async function readiness(deps: HealthDeps): Promise<ReadyReport> {
  const checks = { database: 'ok', schema: 'ok', ca: deps.caLoaded() ? 'ok' : 'not loaded', kek: 'ok', draining: deps.draining() ? 'draining' : 'no' };
  let latency: number | null = null;
  let role: ReadyReport['databaseRole'] = 'unknown';
  try {
    const t = performance.now();
    const schema = await withTimeout(currentSchema(deps.db), PING_TIMEOUT_MS);
    const writable = await withTimeout(deps.db.writable(), PING_TIMEOUT_MS);
    latency = Math.round((performance.now() - t) * 10) / 10;
    role = writable ? 'primary' : 'standby';
    if (!writable) checks.database = 'connected to a read-only standby, not the primary';
    if (!(await deps.kekOk())) checks.kek = 'this node\'s KEK cannot unwrap the secrets (rotated to a KEK this node was not given)';
    if (schema !== LATEST_SCHEMA) checks.schema = `at ${schema}, expected ${LATEST_SCHEMA}; run "certainty migrate"`;
  } catch (err) {
    checks.database = `unreachable: ${(err as Error).message}`;
    checks.schema = 'unknown';
  }
  const ready = checks.database === 'ok' && checks.schema === 'ok' && checks.ca === 'ok' && checks.kek === 'ok' && checks.draining === 'no';
  return { ready, checks, databaseLatencyMs: latency, databaseRole: role };
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
    database: { dialect: deps.dialect, role: ready.databaseRole, latencyMs: ready.databaseLatencyMs, state: ready.checks.database },
    checks: ready.checks,
    leases: deps.leases(),
    fencing: { rejected: deps.fencing.rejected },
    queue,
  };
}
