// What the database says after a scenario: every certificate a client received is there, every
// certificate of the drill's orders reached a client, no order got two certificates, no job ran
// twice or failed, and when each periodic duty ran again after the fault.
import type postgres from 'postgres';
import { certSerialHex, normaliseSerial, splitPemChain } from '../ca/pem.ts';
import { DUTY_JOB } from '../cluster/duties.ts';

export interface ConsistencyFigures {
  /** Chains a client downloaded whose leaf is not in the database. */
  ordersLost: number;
  /** Certificates of the drill's orders that no client received. */
  certificatesUnknown: number;
  /** Orders with more than one certificate, plus jobs that had to run again although nothing crashed under them. */
  jobsRunTwice: number;
  jobsFailed: number;
}

/** The id of an order from its URL (`.../acme/order/<id>`). */
export function orderId(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}

function leafSerial(chainPem: string): string | undefined {
  const leaf = splitPemChain(chainPem)[0];
  return leaf === undefined ? undefined : normaliseSerial(certSerialHex(leaf));
}

/**
 * Compares what the clients received (order URL → chain) with the database. `since` (ms) bounds
 * the jobs looked at to this scenario's; `expectRetries` is true when the scenario crashes or
 * pauses something, where a job running again is the at-least-once contract, not a fault.
 */
export async function checkConsistency(sql: postgres.Sql, received: ReadonlyArray<{ url: string; chainPem: string }>, orderUrls: readonly string[], since: number, expectRetries: boolean): Promise<ConsistencyFigures> {
  const serials = new Set(received.map((r) => leafSerial(r.chainPem)).filter((s): s is string => s !== undefined));
  const ids = [...new Set(orderUrls.map(orderId))];
  const stored = ids.length === 0 ? [] : await sql`select order_id, serial from certificates where order_id in ${sql(ids)}`;
  const storedSerials = new Set(stored.map((r) => normaliseSerial(String(r['serial']))));
  const perOrder = new Map<string, number>();
  for (const r of stored) perOrder.set(String(r['order_id']), (perOrder.get(String(r['order_id'])) ?? 0) + 1);
  const jobs = await sql`select status, attempts::int as attempts from jobs where created_at >= ${since}`;
  const rerun = expectRetries ? 0 : jobs.filter((j) => j['status'] === 'done' && Number(j['attempts']) > 1).length;
  return {
    ordersLost: [...serials].filter((s) => !storedSerials.has(s)).length,
    certificatesUnknown: [...storedSerials].filter((s) => !serials.has(s)).length,
    jobsRunTwice: [...perOrder.values()].filter((n) => n > 1).length + rerun,
    jobsFailed: jobs.filter((j) => j['status'] === 'failed').length,
  };
}

/**
 * Milliseconds from `faultAt` until every periodic duty has been enqueued again and completed, on
 * a node other than `excluded` when given (the faulted node); null when some duty has not yet.
 */
export async function dutiesResumedMs(sql: postgres.Sql, faultAt: number, dutyNames: readonly string[], excluded: string | undefined): Promise<number | null> {
  // Enqueued after the fault too: a job the faulted holder enqueued before, run by another
  // node's worker, says nothing about the scheduler having moved.
  const rows = await sql`select payload, completed_by, completed_at from jobs where kind = ${DUTY_JOB} and status = 'done' and created_at > ${faultAt} and completed_at > ${faultAt}`;
  let worst = 0;
  for (const duty of dutyNames) {
    const runs = rows
      .filter((r) => (JSON.parse(String(r['payload'])) as { duty?: string }).duty === duty && r['completed_by'] !== excluded)
      .map((r) => Number(r['completed_at']));
    if (runs.length === 0) return null;
    worst = Math.max(worst, Math.min(...runs) - faultAt);
  }
  return worst;
}

/** Job kinds of a managed certificate's renewal: the attempt and its deploys. */
const RENEWAL_JOBS = ['lifecycle-renew', 'lifecycle-deploy'];

/** Failed renewal attempts of `names` since `since` (their audit records), plus renewal and deploy jobs that ended failed. */
export async function renewalFailures(sql: postgres.Sql, names: readonly string[], since: number): Promise<number> {
  const objects = names.map((n) => `managed:${n}`);
  const [audit] = await sql`select count(*)::int as n from audit_records where action = 'lifecycle.renewal-failed' and time >= ${since} and object in ${sql(objects)}`;
  // A renewal's jobs carry its certificate as their fair key.
  const [jobs] = await sql`select count(*)::int as n from jobs where kind in ${sql(RENEWAL_JOBS)} and status = 'failed' and created_at >= ${since} and fair_key in ${sql(objects)}`;
  return Number(audit?.['n'] ?? 0) + Number(jobs?.['n'] ?? 0);
}

/** Renewal and deploy jobs created since `since` that are queued or running. */
export async function renewalJobsInFlight(sql: postgres.Sql, since: number): Promise<number> {
  const [row] = await sql`select count(*)::int as n from jobs where kind in ${sql(RENEWAL_JOBS)} and status in ('queued', 'running') and created_at >= ${since}`;
  return Number(row?.['n'] ?? 0);
}

/** The server id running the most renewal and deploy jobs now, with how many; undefined when none runs. */
export async function busiestRenewer(sql: postgres.Sql): Promise<{ serverId: string; jobs: number } | undefined> {
  const [row] = await sql`select claimed_by, count(*)::int as n from jobs where kind in ${sql(RENEWAL_JOBS)} and status = 'running' and claimed_by is not null group by claimed_by order by n desc limit 1`;
  return row === undefined ? undefined : { serverId: String(row['claimed_by']), jobs: Number(row['n']) };
}
