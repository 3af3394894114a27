// Faults of the Certainty nodes themselves: crash, graceful stop, rolling restart, a paused lease
// holder, and a node cut off from the database. Targets are PRODUCT.md's failure table.
import { commonCriteria, criterion, within, zero, type Scenario, type ScenarioContext } from './drill-context.ts';

/** Time from `from` to `to`, or null when `to` never happened. */
export function since(from: number, to: number | undefined): number | null {
  return to === undefined ? null : to - from;
}

/** A node that does not hold the scheduler lease (so a node fault and a lease fault stay apart). */
function bystander(ctx: ScenarioContext): string {
  const holder = ctx.roles.lease().holder;
  const names = ctx.state.nodes.map((n) => n.name);
  return [...names].reverse().find((n) => n !== holder) ?? (names[0] as string);
}

function leaseHolder(ctx: ScenarioContext): string {
  const holder = ctx.roles.lease().holder;
  if (holder === undefined) throw new Error('no node holds the scheduler lease: is the lab healthy? (certainty lab status)');
  return holder;
}

/** Starts a stopped node again and waits until the front has it UP. */
export async function bringBack(ctx: ScenarioContext, node: string): Promise<void> {
  await ctx.control.start(node);
  await ctx.until(() => ctx.frontState(node) === 'UP', 15_000);
  ctx.recover(`${node} back`);
}

const nodeKill: Scenario = {
  name: 'node-kill',
  title: 'One app node crashes (SIGKILL)',
  fault: 'SIGKILL one Certainty node that does not hold the scheduler lease, under load; start it again after a while.',
  seeds: '10–20 s outage (container crash, active/passive)',
  expectRetries: true,
  async run(ctx) {
    await ctx.settle();
    const victim = bystander(ctx);
    const at = ctx.fault(`SIGKILL ${victim}`);
    ctx.control.signal(victim, 'SIGKILL');
    ctx.figures.markedDownMs = since(at, await ctx.until(() => ctx.frontState(victim)?.startsWith('DOWN') === true, 15_000));
    await ctx.settle();
    await bringBack(ctx, victim);
    await ctx.settle();
    return { excludedNode: victim };
  },
  criteria: (f) => [within('the front marks the node down', f.markedDownMs, 3_000), ...commonCriteria(f)],
};

/** SIGTERM, wait for the exit (the node drains), start again. */
export async function gracefulRestart(ctx: ScenarioContext, node: string): Promise<void> {
  ctx.fault(`SIGTERM ${node}`);
  ctx.control.signal(node, 'SIGTERM');
  const exited = await ctx.until(() => !ctx.control.alive(node), 60_000);
  if (exited === undefined) throw new Error(`${node} did not exit within 60 s of SIGTERM`);
  await bringBack(ctx, node);
}

const nodeTerm: Scenario = {
  name: 'node-term',
  title: 'One app node stopped (SIGTERM)',
  fault: 'SIGTERM one Certainty node under load (it drains and exits), then start it again.',
  seeds: 'planned restarts taken as outages (active/passive)',
  expectRetries: false,
  async run(ctx) {
    await ctx.settle();
    const victim = bystander(ctx);
    await gracefulRestart(ctx, victim);
    await ctx.settle();
    return { excludedNode: victim };
  },
  criteria: (f) => [zero('no failed request', f.failedRequests, 'requests'), zero('no order needed a retry', f.ordersRetried, 'orders'), ...commonCriteria(f)],
};

const rollingRestart: Scenario = {
  name: 'rolling-restart',
  title: 'Rolling restart of every app node',
  fault: 'SIGTERM and restart each Certainty node in turn under load, waiting for the front to have it UP before the next.',
  seeds: '"zero failed renewal jobs"',
  expectRetries: false,
  async run(ctx) {
    await ctx.settle();
    for (const node of ctx.state.nodes) await gracefulRestart(ctx, node.name);
    await ctx.settle();
    return {};
  },
  criteria: (f) => [
    zero('no failed request', f.failedRequests, 'requests'),
    zero('no order needed a retry', f.ordersRetried, 'orders'),
    zero('no job failed', f.jobsFailed, 'jobs'),
    zero('no job ran twice', f.jobsRunTwice, 'jobs'),
    ...commonCriteria(f),
  ],
};

async function fencingRejected(ctx: ScenarioContext, node: string): Promise<number> {
  const fencing = (await ctx.healthz(node))?.['fencing'] as { rejected?: number } | undefined;
  return fencing?.rejected ?? 0;
}

/** Waits until the lease moved away from `holder` and every duty ran again elsewhere. */
async function measureTakeover(ctx: ScenarioContext, holder: string, oldToken: number, at: number): Promise<void> {
  const ttl = ctx.state.tuning.leaseTtlMs;
  const moved = await ctx.until(() => ctx.roles.lease().holder !== undefined && ctx.roles.lease().holder !== holder && ctx.roles.lease().token > oldToken, ttl + 15_000);
  ctx.figures.takeoverMs = since(at, moved);
  if (moved !== undefined) await ctx.waitForDuties(at, holder, ttl + 30_000);
}

const leasePause: Scenario = {
  name: 'lease-pause',
  title: 'The scheduler lease holder is paused (SIGSTOP), then resumed',
  fault: 'SIGSTOP the node holding the scheduler lease until another node has taken over and run the duties, then SIGCONT it.',
  seeds: '~30 s and manual repair rules (router crash)',
  expectRetries: true,
  async run(ctx) {
    await ctx.settle();
    const holder = leaseHolder(ctx);
    const { token } = ctx.roles.lease();
    const rejectedBefore = await fencingRejected(ctx, holder);
    const at = ctx.fault(`SIGSTOP ${holder} (lease token ${token})`);
    ctx.control.signal(holder, 'SIGSTOP');
    try {
      await measureTakeover(ctx, holder, token, at);
    } finally {
      ctx.control.signal(holder, 'SIGCONT');
      ctx.recover(`SIGCONT ${holder}`);
    }
    await ctx.until(() => ctx.frontState(holder) === 'UP', 20_000);
    await ctx.settle();
    ctx.figures.fencedWritesRejected = (await fencingRejected(ctx, holder)) - rejectedBefore;
    // After SIGCONT the ex-holder must neither hold the lease under its old token (the database's
    // view) nor believe it does (its own /healthz).
    const lease = ctx.roles.lease();
    const believes = ((await ctx.healthz(holder))?.['leases'] as Array<{ name: string; token: number }> | undefined) ?? [];
    const stale = (lease.holder === holder && lease.token === token) || believes.some((l) => l.name === 'scheduler' && Number(l.token) === token);
    return { excludedNode: holder, facts: { staleTokenInUse: stale } };
  },
  criteria: (f, state, facts) => [
    within('another node holds the lease within one TTL', f.takeoverMs, state.tuning.leaseTtlMs),
    within('duties resume within one TTL', f.dutiesResumeMs, state.tuning.leaseTtlMs),
    criterion('the resumed ex-holder does not act on its old token', 'old token neither current nor held',
      facts['staleTokenInUse'] === true ? 'old token still in use' : `dropped; ${f.fencedWritesRejected ?? 0} stale writes refused by the database`,
      facts['staleTokenInUse'] === false && f.takeoverMs !== null),
    ...commonCriteria(f),
  ],
};

const nodeDbCut: Scenario = {
  name: 'node-db-cut',
  title: 'One app node cut off from the database',
  fault: 'Cut the scheduler lease holder off from PostgreSQL (its database listener refuses and drops connections) under load, then restore it.',
  seeds: 'split-brain risk',
  expectRetries: true,
  async run(ctx) {
    await ctx.settle();
    const victim = leaseHolder(ctx);
    const { token } = ctx.roles.lease();
    const at = ctx.fault(`${victim} cut off from the database`);
    try {
      await ctx.control.cutNodeFromDatabase(victim);
      ctx.figures.notReadyMs = since(at, await ctx.until(async () => !(await ctx.nodeReady(victim)), 30_000));
      ctx.figures.markedDownMs = since(at, await ctx.until(() => ctx.frontState(victim)?.startsWith('DOWN') === true, 30_000));
      await measureTakeover(ctx, victim, token, at);
    } finally {
      await ctx.control.restoreNodeDatabase(victim);
      ctx.recover(`${victim} reconnected`);
    }
    await ctx.until(() => ctx.frontState(victim) === 'UP', 30_000);
    await ctx.settle();
    return { excludedNode: victim };
  },
  criteria: (f, state) => [
    within('the cut-off node stops serving (not ready)', f.notReadyMs, 5_000),
    within('another node takes the lease within one TTL', f.takeoverMs, state.tuning.leaseTtlMs),
    within('another node runs the duties within one TTL', f.dutiesResumeMs, state.tuning.leaseTtlMs),
    ...commonCriteria(f),
  ],
};

export const APP_SCENARIOS: readonly Scenario[] = [nodeKill, nodeTerm, rollingRestart, leasePause, nodeDbCut];
