// The scheduler lease: exactly one node holds it; when the holder is paused (SIGSTOP) another node
// takes it within the TTL with a higher fencing token and the periodic duties go on; when the old
// holder resumes (SIGCONT) its first write under the stale token (the renewal) is refused, it
// counts the rejection and holds nothing.
import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ClusterStatus } from '../support/cluster.ts';
import { waitFor } from '../support/wait.ts';
import { startClusterEnv, type ClusterEnv } from './setup.ts';

const TTL_MS = 3_000;
/** Acquisition is retried every TTL/3; status polling and a busy 2-core machine need the rest. */
const MARGIN_MS = 3_000;

interface Health { node: string; leases?: Array<{ name: string; token: number }>; fencing?: { rejected: number } }

let env: ClusterEnv;

before(async () => {
  env = await startClusterEnv({ env: { CERTAINTY_LEASE_TTL_MS: String(TTL_MS) } });
}, { timeout: 120_000 });

after(async () => {
  await env?.stop();
}, { timeout: 60_000 });

function schedulerLease(status: ClusterStatus): { holder: string | null; token: number } | undefined {
  const lease = status.leases.find((l) => l.name === 'scheduler');
  return lease === undefined ? undefined : { holder: lease.holder, token: Number(lease.token) };
}

async function health(i: number): Promise<Health> {
  return (await env.cluster.healthz(i)) as unknown as Health;
}

/** Index of the one node whose /healthz says it holds `scheduler`, when exactly one does. */
async function soleHolder(among: readonly number[]): Promise<{ index: number; id: string; token: number } | undefined> {
  const reports = await Promise.all(among.map(async (i) => ({ i, h: await health(i) })));
  const holders = reports.filter(({ h }) => h.leases?.some((l) => l.name === 'scheduler'));
  const only = holders[0];
  if (holders.length !== 1 || only === undefined) return undefined;
  const token = only.h.leases?.find((l) => l.name === 'scheduler')?.token ?? 0;
  return { index: only.i, id: only.h.node, token };
}

test('one holder; SIGSTOP it: another node takes the lease within the TTL; SIGCONT: the old holder is fenced off', { timeout: 120_000 }, async () => {
  const first = await waitFor(() => soleHolder([0, 1, 2]), { what: 'exactly one scheduler holder', timeoutMs: TTL_MS * 3 });
  const status = await env.cluster.statusJson();
  assert.deepEqual(schedulerLease(status), { holder: first.id, token: first.token }, JSON.stringify(status));
  assert.deepEqual(status.nodes.filter((n) => n.leases.includes('scheduler')).map((n) => n.id), [first.id]);

  const sql = env.cluster.sql();
  const stoppedAt = Date.now();
  await env.cluster.signal(first.index, 'SIGSTOP');
  const others = [0, 1, 2].filter((i) => i !== first.index);
  const second = await waitFor(async () => {
    const h = await soleHolder(others);
    return h !== undefined && h.token > first.token ? h : undefined;
  }, { what: 'another node to hold scheduler with a higher token', timeoutMs: TTL_MS + MARGIN_MS + 5_000, intervalMs: 100 });
  const takeoverMs = Date.now() - stoppedAt;
  console.log(`scheduler lease: ${first.id} (token ${first.token}) paused; ${second.id} holds it with token ${second.token} after ${takeoverMs} ms (TTL ${TTL_MS} ms)`);
  assert.ok(takeoverMs <= TTL_MS + MARGIN_MS, `takeover took ${takeoverMs} ms`);

  // Duties go on under the new holder: make housekeeping due and watch it being enqueued and run.
  await sql`update schedules set next_run_at = 0 where name = 'housekeeping'`;
  await waitFor(async () => {
    const rows = await sql`select last_token::int as token, last_node from schedules where name = 'housekeeping'`;
    return rows[0]?.token === second.token && rows[0]?.last_node === second.id ? true : undefined;
  }, { what: 'housekeeping enqueued under the new token', timeoutMs: 10_000 });

  // Make a duty due again, then wake the old holder: whatever it tries under its stale token is refused.
  await sql`update schedules set next_run_at = 0 where name = 'housekeeping'`;
  await env.cluster.signal(first.index, 'SIGCONT');
  const fenced = await waitFor(async () => {
    const h = await health(first.index);
    return (h.fencing?.rejected ?? 0) >= 1 && (h.leases ?? []).length === 0 ? h : undefined;
  }, { what: 'the old holder to count a fenced write and hold nothing', timeoutMs: 10_000 });
  console.log(`after SIGCONT: ${first.id} fencing ${JSON.stringify(fenced.fencing)}, leases ${JSON.stringify(fenced.leases)}`);

  const final = schedulerLease(await env.cluster.statusJson());
  assert.equal(final?.holder, second.id, 'the new holder kept the lease');
  assert.equal(final?.token, second.token, 'no one took a new token');
  const rows = await sql`select last_token::int as token, last_node from schedules`;
  for (const r of rows) assert.ok(r['last_node'] !== first.id || r['token'] <= first.token, `a schedule was advanced by the fenced node: ${JSON.stringify(r)}`);
  const dupes = await sql`select payload, count(*)::int as n from jobs where kind = 'duty' group by payload having count(*) > 1`;
  assert.deepEqual([...dupes], [], 'each duty period is enqueued once');
});
