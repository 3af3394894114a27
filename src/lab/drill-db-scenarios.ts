// Faults under the Certainty nodes: the PostgreSQL primary dies (Patroni fails over), a planned
// switchover, and an etcd member lost. Targets are PRODUCT.md's failure table.
import { httpCall, patroniHealthy } from './lab-probes.ts';
import { childPids } from './processes.ts';
import { since } from './drill-app-scenarios.ts';
import { commonCriteria, criterion, within, type Scenario, type ScenarioContext } from './drill-context.ts';

/** How long the cluster may take to be whole again (leader, sync standby streaming) after a fault. */
const REJOIN_TIMEOUT_MS = 120_000;

async function currentPrimary(ctx: ScenarioContext): Promise<string> {
  const primary = await ctx.control.primary();
  if (primary === undefined) throw new Error('Patroni reports no leader: is the lab healthy? (certainty lab status)');
  return primary;
}

/** Waits for a new leader other than `old`; records the promotion and when writes came back. */
async function measureFailover(ctx: ScenarioContext, old: string, at: number, timeoutMs: number): Promise<void> {
  const promoted = await ctx.until(async () => {
    const leader = await ctx.control.primary();
    return leader !== undefined && leader !== old;
  }, timeoutMs);
  ctx.figures.failoverMs = since(at, promoted);
  if (promoted === undefined) return;
  const writing = await ctx.until(() => ctx.writes.lastOkAt > promoted, 60_000);
  ctx.figures.writesResumeMs = since(promoted, writing);
}

async function waitWhole(ctx: ScenarioContext): Promise<void> {
  const whole = await ctx.until(async () => patroniHealthy(await ctx.control.patroniCluster()), REJOIN_TIMEOUT_MS);
  if (whole === undefined) throw new Error(`the PostgreSQL cluster did not get a sync standby back within ${REJOIN_TIMEOUT_MS / 1000} s`);
  ctx.recover('sync standby streaming again');
}

const pgKill: Scenario = {
  name: 'pg-kill',
  title: 'The PostgreSQL primary crashes',
  fault: 'SIGKILL the primary\'s Patroni and its postmaster with every backend (the host dies); Patroni promotes the synchronous replica; the old member rejoins as a replica.',
  seeds: '~36 s (database crash)',
  expectRetries: true,
  async run(ctx) {
    await ctx.settle();
    const old = await currentPrimary(ctx);
    const postmaster = ctx.control.postmasterPid(old);
    if (postmaster === undefined) throw new Error(`no postmaster runs for ${old}: cannot crash its host`);
    const at = ctx.fault(`SIGKILL ${old} (Patroni and PostgreSQL)`);
    ctx.control.signal(old, 'SIGKILL');
    for (const pid of [postmaster, ...childPids(postmaster)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await measureFailover(ctx, old, at, ctx.state.tuning.patroniTtl * 1000 + 60_000);
    await ctx.settle();
    await ctx.control.start(old);
    ctx.recover(`${old} Patroni started again`);
    await waitWhole(ctx);
    await ctx.settle();
    return {};
  },
  criteria: (f) => [
    // What needs no write is served while no primary answers: only a blip while the nodes'
    // connections move to the standby (docs/ha.md), not the whole failover.
    within('reads through the front (directory, newNonce) down', f.readsDownMs, 5_000),
    within('writes resume after Patroni promotes', f.writesResumeMs, 30_000),
    criterion('Patroni promotes the replica', 'a new leader', f.failoverMs === null ? 'no promotion' : `after ${(f.failoverMs / 1000).toFixed(1)} s`, f.failoverMs !== null),
    ...commonCriteria(f),
  ],
};

const pgSwitchover: Scenario = {
  name: 'pg-switchover',
  title: 'Planned PostgreSQL switchover',
  fault: 'Patroni switches the primary over to the synchronous replica (REST POST /switchover), as for maintenance.',
  seeds: 'maintenance windows',
  expectRetries: true,
  async run(ctx) {
    await ctx.settle();
    const old = await currentPrimary(ctx);
    const at = ctx.fault(`switchover away from ${old}`);
    // Measured while Patroni switches over, not after its REST call returns.
    await Promise.all([ctx.control.switchover(), measureFailover(ctx, old, at, 60_000)]);
    await waitWhole(ctx);
    await ctx.settle();
    return {};
  },
  criteria: (f) => [
    within('writes resume after the switchover', f.writesResumeMs, 10_000),
    within('database writes down in all', f.writeUnavailabilityMs, 15_000),
    ...commonCriteria(f),
  ],
};

/** The etcd member that leads the etcd cluster (v3 gateway `maintenance/status`), or the first. */
async function etcdLeader(ctx: ScenarioContext): Promise<string> {
  for (const member of ctx.state.etcd) {
    const res = await httpCall(`${member.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', timeoutMs: 2_000 }).catch(() => undefined);
    if (res?.status !== 200) continue;
    const status = JSON.parse(res.body) as { header?: { member_id?: string }; leader?: string };
    if (status.leader !== undefined && status.leader === status.header?.member_id) return member.name;
  }
  throw new Error('no etcd member says it leads: is etcd healthy? (certainty lab status)');
}

const etcdLost: Scenario = {
  name: 'etcd-member-lost',
  title: 'An etcd member is lost',
  fault: 'SIGKILL the etcd member that leads the etcd cluster; the other two elect a new leader and Patroni keeps its leader key; start the member again.',
  seeds: 'not drilled',
  expectRetries: false,
  async run(ctx) {
    await ctx.settle();
    const leaderBefore = await currentPrimary(ctx);
    const victim = await etcdLeader(ctx);
    ctx.fault(`SIGKILL ${victim} (etcd leader)`);
    ctx.control.signal(victim, 'SIGKILL');
    await ctx.until(() => !ctx.control.alive(victim), 5_000);
    await ctx.settle();
    await ctx.settle();
    const leaderAfter = await ctx.control.primary().catch(() => undefined);
    await ctx.control.start(victim);
    ctx.recover(`${victim} started again`);
    await ctx.settle();
    return { facts: { leaderKept: leaderAfter === leaderBefore, leaderBefore, leaderAfter: leaderAfter ?? 'none' } };
  },
  criteria: (f, _state, facts) => [
    criterion('PostgreSQL keeps its primary', 'no leader change', `${String(facts['leaderBefore'])} → ${String(facts['leaderAfter'])}`, facts['leaderKept'] === true),
    within('database writes down', f.writeUnavailabilityMs, 1_000),
    ...commonCriteria(f),
  ],
};

export const DB_SCENARIOS: readonly Scenario[] = [pgKill, pgSwitchover, etcdLost];
