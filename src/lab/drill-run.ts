// One scenario from start to report: wait until the lab is whole, start the load and the watchers,
// inject the fault (the scenario's own code), let the clients retry what failed, then ask the
// database what happened and judge the figures against the scenario's criteria.
import type postgres from 'postgres';
import type { AcmeClient } from '../acme-client/client.ts';
import type { Http01Responder } from '../acme-client/responder.ts';
import { checkConsistency, dutiesResumedMs } from './drill-checks.ts';
import { DUTY_NAMES, makeContext, type RunOutcome, type Scenario } from './drill-context.ts';
import { Timeline, watchReadyz, watchRoles, watchWrites } from './drill-probes.ts';
import type { LabControl } from './lab-control.ts';
import { patroniHealthy } from './lab-probes.ts';
import type { LabState } from './lab-state.ts';
import { retryFailures, runOrders, type CountingTransport, type LoadResult } from './load.ts';
import { emptyFigures, type Figures, type ScenarioResult } from './report.ts';

export interface ScenarioDeps {
  readonly state: LabState;
  readonly control: LabControl;
  readonly rootPem: string;
  readonly nodeIds: ReadonlyMap<string, string>;
  readonly probeUrl: string;
  readonly responder: Http01Responder;
  readonly transport: CountingTransport;
  readonly sql: postgres.Sql;
  readonly clients: readonly AcmeClient[];
  readonly quick: boolean;
  readonly concurrency: number;
  /** Tag of this drill run, in every order's names. */
  readonly run: string;
  readonly log: (line: string) => void;
}

/** How long the lab may take to be whole again before a scenario (a previous one's recovery). */
const HEALTHY_TIMEOUT_MS = 120_000;

/** Every process alive, Patroni with a sync standby, every node UP on the front: or why not. */
async function labWhole(deps: ScenarioDeps): Promise<string | undefined> {
  const dead = Object.keys(deps.state.processes).filter((name) => !deps.control.alive(name));
  if (dead.length > 0) return `not running: ${dead.join(', ')}`;
  if (!patroniHealthy(await deps.control.patroniCluster().catch(() => []))) return 'PostgreSQL has no running leader with a sync standby';
  const front = await deps.control.backendStates('front').catch(() => ({}));
  const notUp = deps.state.nodes.filter((n) => !Object.entries(front).some(([k, v]) => k.endsWith(`/${n.name}`) && v === 'UP'));
  if (notUp.length > 0) return `not UP on the front: ${notUp.map((n) => n.name).join(', ')}`;
  return undefined;
}

/**
 * Starts again whatever an earlier scenario left dead (one that failed half-way), in the order the
 * lab started them, as an operator would before the next drill. Returns the names started.
 */
async function heal(deps: ScenarioDeps): Promise<string[]> {
  const dead = Object.keys(deps.state.processes).filter((name) => !deps.control.alive(name));
  for (const name of dead) await deps.control.start(name).catch((err: unknown) => deps.log(`could not start ${name} again: ${(err as Error).message}`));
  return dead;
}

async function waitWhole(deps: ScenarioDeps): Promise<void> {
  const healed = await heal(deps);
  if (healed.length > 0) deps.log(`started again before this scenario: ${healed.join(', ')}`);
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  let why = await labWhole(deps);
  while (why !== undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    why = await labWhole(deps);
  }
  if (why !== undefined) throw new Error(`the lab is not whole (${why}); see certainty lab status`);
}

interface Counts { requests: number; failed: number }

function requestCounts(t: CountingTransport): Counts {
  return { requests: t.stats.requests, failed: t.stats.failed.length };
}

/** Runs `scenario` and returns its result; a scenario that throws is reported as failed with its error. */
export async function runScenario(scenario: Scenario, deps: ScenarioDeps): Promise<ScenarioResult> {
  const startedAt = new Date();
  const figures: Partial<Figures> = {};
  let error: string | undefined;
  try {
    await waitWhole(deps);
  } catch (err) {
    return failedResult(scenario, startedAt, (err as Error).message);
  }
  const timeline = new Timeline();
  const before = requestCounts(deps.transport);
  deps.transport.onAnswer = (failed) => {
    const b = timeline.bucket();
    b.requests += 1;
    if (failed) b.errors += 1;
  };
  const nameOf = (id: string): string => [...deps.nodeIds].find(([, v]) => v === id)?.[0] ?? id;
  const readyz = watchReadyz(deps.state.frontUrl, timeline);
  const writes = await watchWrites(deps.probeUrl, timeline);
  const roles = watchRoles(deps.control, deps.sql, nameOf, timeline);
  const ctx = makeContext({ state: deps.state, control: deps.control, timeline, roles, writes: writes.meter, sql: deps.sql, quick: deps.quick, nodeIds: deps.nodeIds, rootPem: deps.rootPem, figures });
  await ctx.until(() => roles.lease().holder !== undefined, 5_000);
  let stop = false;
  const load = runOrders({
    clients: deps.clients, solver: deps.responder, concurrency: deps.concurrency, maxOrders: 100_000, maxSeconds: 900,
    stop: () => stop,
    backoff: { minMs: 250, maxMs: 4_000 },
    name: (n) => `o${n}.${scenario.name}.${deps.run}.lab.test`,
    onOrder: (ok) => {
      if (ok) timeline.bucket().ordersCompleted += 1;
    },
  });
  let outcome: RunOutcome = {};
  try {
    outcome = await scenario.run(ctx);
  } catch (err) {
    error = (err as Error).message;
  }
  stop = true;
  const result = await load;
  const end = Date.now();
  const retried = await retryFailures(result.failures, deps.responder);
  await Promise.all([readyz.stop(), writes.stop(), roles.stop()]);
  deps.transport.onAnswer = undefined;
  const after = requestCounts(deps.transport);
  const all = measured(result, retried, readyz.meter.longestMs(end), readyz.meter, writes.meter.longestMs(end), before, after);
  const received = [...result.received, ...retried.flatMap((r) => (r.chainPem === undefined || r.url === undefined ? [] : [{ url: r.url, chainPem: r.chainPem }]))];
  const orderUrls = [...result.completedUrls, ...result.failures.flatMap((f) => (f.url === undefined ? [] : [f.url])), ...retried.flatMap((r) => (r.url === undefined ? [] : [r.url]))];
  const consistency = await checkConsistency(deps.sql, received, orderUrls, timeline.t0, scenario.expectRetries);
  const faultAt = timeline.events.find((e) => e.kind === 'fault');
  const excluded = outcome.excludedNode === undefined ? undefined : deps.nodeIds.get(outcome.excludedNode);
  const dutiesResumeMs = faultAt === undefined ? null : await dutiesResumedMs(deps.sql, timeline.t0 + faultAt.atMs, DUTY_NAMES, excluded);
  const f: Figures = { ...all, ...consistency, dutiesResumeMs, ...figures };
  const criteria = scenario.criteria(f, deps.state, outcome.facts ?? {});
  return {
    name: scenario.name, title: scenario.title, fault: scenario.fault, seeds: scenario.seeds,
    pass: error === undefined && criteria.every((c) => c.pass),
    startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(),
    criteria, figures: f,
    timeline: { buckets: timeline.seconds(), events: timeline.events },
    ...(error === undefined ? {} : { error }),
  };
}

function measured(result: LoadResult, retried: ReadonlyArray<{ error?: string }>, unavailabilityMs: number, readyz: { attempts: number; failures: number }, writeDownMs: number, before: Counts, after: Counts): Figures {
  return {
    ...emptyFigures(),
    unavailabilityMs,
    readyzPolls: readyz.attempts,
    readyzFailures: readyz.failures,
    requests: after.requests - before.requests,
    failedRequests: after.failed - before.failed,
    ordersStarted: result.started,
    ordersCompleted: result.completed + retried.filter((r) => r.error === undefined).length,
    ordersRetried: retried.filter((r) => r.error === undefined).length,
    ordersFailed: retried.filter((r) => r.error !== undefined).length,
    writeUnavailabilityMs: writeDownMs,
  };
}

function failedResult(scenario: Scenario, startedAt: Date, error: string): ScenarioResult {
  return {
    name: scenario.name, title: scenario.title, fault: scenario.fault, seeds: scenario.seeds, pass: false,
    startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), criteria: [], figures: emptyFigures(),
    timeline: { buckets: [], events: [] }, error,
  };
}
