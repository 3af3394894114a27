// Renewals under faults: the drill's upstream CA revokes the lab's fleet of managed certificates
// (a CA's mass revocation), so its ARI says "renew now" for every one; the nodes renew, deploy and
// verify them while one node is killed, or while every node is restarted in turn. Each certificate
// must be renewed exactly once: one upstream order, one deploy, no failed attempt.
import { setTimeout as sleep } from 'node:timers/promises';
import { pollFiles, type DeployWatch, type FleetCert } from './fleet-files.ts';
import { bringBack, gracefulRestart, since } from './drill-app-scenarios.ts';
import { busiestRenewer, renewalFailures, renewalJobsInFlight } from './drill-checks.ts';
import { commonCriteria, criterion, within, zero, type Scenario, type ScenarioContext } from './drill-context.ts';
import { inBatches, slices, watchDeploys, type ReadyFleet } from './renewal-fleet.ts';
import type { Figures } from './report.ts';

/** Managed certificates renewed: 200 as the scenario asks, 40 with --quick (CI). */
export function fleetSize(quick: boolean): number {
  return quick ? 40 : 200;
}

/**
 * How long a fleet may take to renew, deploy and verify: the ARI poll (5 s in the lab) and a
 * node's restart, then about 2 s per certificate, what two loaded cores manage beside the
 * drill's ACME load (docs/benchmarks.md measured 2.3 per second without it).
 */
export function renewalLimitMs(n: number): number {
  return 60_000 + n * 2_000;
}

/** After the last certificate: until the fleet's jobs are done (a job whose node died waits for its claim to lapse). */
const SETTLE_JOBS_MS = 60_000;

interface Phase {
  readonly since: number;
  readonly ordersBefore: number;
  readonly startedAt: Map<string, number>;
}

async function beginPhase(ctx: ScenarioContext, fleet: ReadyFleet): Promise<Phase> {
  ctx.figures.fleetSetupMs = fleet.setupMs;
  return { since: Date.now(), ordersBefore: await fleet.upstream.orders(), startedAt: new Map() };
}

/** Revokes `certs` at the upstream, 8 at a time, each one's clock started as it is revoked. */
async function revoke(ctx: ScenarioContext, fleet: ReadyFleet, certs: readonly FleetCert[], phase: Phase): Promise<void> {
  ctx.timeline.event('note', `${certs.length} certificates revoked at the upstream`);
  await inBatches(certs, 8, async (c) => {
    const serial = fleet.serials.get(c.name);
    if (serial === undefined) throw new Error(`${c.name} has no deployed certificate to revoke`);
    phase.startedAt.set(c.name, Date.now());
    await fleet.upstream.revoke(serial);
  });
}

/** Waits for the fleet's jobs to end, reads the files once more (late rewrites) and records the figures. */
async function endPhase(ctx: ScenarioContext, fleet: ReadyFleet, phase: Phase, watch: DeployWatch & { stamps: Map<string, string> }): Promise<void> {
  const { certs } = fleet;
  if (watch.done.size === certs.length) {
    const last = Math.max(...certs.map((c) => (phase.startedAt.get(c.name) ?? phase.since) + (watch.done.get(c.name)?.ms ?? 0)));
    ctx.figures.renewedAllMs = last - phase.since;
  }
  await ctx.until(async () => (await renewalJobsInFlight(ctx.sql, phase.since)) === 0, SETTLE_JOBS_MS);
  await pollFiles(certs, fleet.serials, phase.startedAt, watch.stamps, watch);
  ctx.figures.certificatesRenewed = watch.done.size;
  ctx.figures.duplicateDeploys = watch.duplicateDeploys;
  ctx.figures.upstreamOrders = (await fleet.upstream.orders()) - phase.ordersBefore;
  ctx.figures.renewalsFailed = await renewalFailures(ctx.sql, certs.map((c) => c.name), phase.since);
  ctx.fleet.remember(new Map([...watch.done].map(([name, d]) => [name, d.serial])));
}

/** The node running the most renewal jobs now; the scheduler lease holder when none runs any. */
async function busiestNode(ctx: ScenarioContext): Promise<{ node: string; why: string }> {
  const busy = await busiestRenewer(ctx.sql);
  const name = busy === undefined ? undefined : [...ctx.nodeIds].find(([, id]) => id === busy.serverId)?.[0];
  if (busy !== undefined && name !== undefined) return { node: name, why: `${busy.jobs} renewal jobs in hand` };
  const holder = ctx.roles.lease().holder ?? ctx.state.nodes[0]?.name;
  if (holder === undefined) throw new Error('the lab has no node');
  return { node: holder, why: 'the scheduler lease holder' };
}

async function killAndRestart(ctx: ScenarioContext): Promise<void> {
  const { node, why } = await busiestNode(ctx);
  const at = ctx.fault(`SIGKILL ${node} (${why})`);
  ctx.control.signal(node, 'SIGKILL');
  ctx.figures.markedDownMs = since(at, await ctx.until(() => ctx.frontState(node)?.startsWith('DOWN') === true, 15_000));
  await bringBack(ctx, node);
}

/** The figures every renewal drill judges: all renewed in time, once each, nothing failed. */
function renewalCriteria(f: Figures): ReturnType<typeof criterion>[] {
  const n = f.fleetSize ?? 0;
  const renewed = f.certificatesRenewed ?? 0;
  return [
    criterion('every certificate renewed, deployed and verified', `${n} of ${n}`, `${renewed} of ${n}`, n > 0 && renewed === n),
    within('all renewed within the limit', f.renewedAllMs, renewalLimitMs(n)),
    criterion('one upstream order per certificate', `exactly ${n} orders`, f.upstreamOrders === null ? 'not measured' : `${f.upstreamOrders} orders`, f.upstreamOrders === n),
    zero('no duplicate deploy', f.duplicateDeploys, 'deploys'),
    zero('no failed renewal', f.renewalsFailed, 'failures'),
  ];
}

const massRenewal: Scenario = {
  name: 'mass-renewal',
  title: 'The upstream CA says "renew now" for the whole fleet; a node is killed half way',
  fault: 'Revoke every managed certificate at the upstream CA (its ARI then says renew now); SIGKILL the node busiest with renewal jobs when half are renewed, then start it again.',
  seeds: 'CA mass revocation (renew within days)',
  expectRetries: true,
  async run(ctx) {
    const n = fleetSize(ctx.quick);
    ctx.figures.fleetSize = n;
    const fleet = await ctx.fleet.ready(n, renewalLimitMs(n));
    const phase = await beginPhase(ctx, fleet);
    await revoke(ctx, fleet, fleet.certs, phase);
    let fault: Promise<void> | undefined;
    const watch = await watchDeploys(fleet.certs, fleet.serials, phase.startedAt, renewalLimitMs(n), (w) => {
      if (fault === undefined && w.done.size >= n / 2) fault = killAndRestart(ctx);
    });
    await fault;
    await endPhase(ctx, fleet, phase, watch);
    return {};
  },
  criteria: (f) => [...renewalCriteria(f), ...commonCriteria(f)],
};

const renewalRollingRestart: Scenario = {
  name: 'renewal-rolling-restart',
  title: 'Rolling restart of every app node while the fleet renews',
  fault: 'Revoke a share of the fleet at the upstream before each node is stopped (SIGTERM) and started again, so renewals are in flight through every restart.',
  seeds: '"zero failed renewal jobs"',
  expectRetries: false,
  async run(ctx) {
    const n = fleetSize(ctx.quick);
    ctx.figures.fleetSize = n;
    const fleet = await ctx.fleet.ready(n, renewalLimitMs(n));
    const phase = await beginPhase(ctx, fleet);
    const restarts = (async (): Promise<void> => {
      for (const [i, part] of slices(fleet.certs, ctx.state.nodes.length).entries()) {
        await revoke(ctx, fleet, part, phase);
        // Let the renewals of this share get going: ARI polled, jobs claimed.
        await sleep(3_000);
        const node = ctx.state.nodes[i]?.name;
        if (node !== undefined) await gracefulRestart(ctx, node);
      }
    })();
    restarts.catch(() => undefined); // awaited below, after the watch
    const watch = await watchDeploys(fleet.certs, fleet.serials, phase.startedAt, renewalLimitMs(n));
    await restarts;
    await endPhase(ctx, fleet, phase, watch);
    return {};
  },
  criteria: (f) => [...renewalCriteria(f), zero('no job failed', f.jobsFailed, 'jobs'), ...commonCriteria(f)],
};

export const RENEWAL_SCENARIOS: readonly Scenario[] = [massRenewal, renewalRollingRestart];
