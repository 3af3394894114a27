// One scenario from start to report: wait until the lab is whole, start the load and the watchers,
// inject the fault (the scenario's own code), let the clients retry what failed, then ask the
// database what happened and judge the figures against the scenario's criteria.
import type postgres from 'postgres';
import type { AcmeClient } from '../acme-client/client.ts';
import type { Http01Responder } from '../acme-client/responder.ts';
import { checkConsistency, dutiesResumedMs } from './drill-checks.ts';
import { DUTY_NAMES, makeContext, type RunOutcome, type Scenario } from './drill-context.ts';
import { OutageMeter, Timeline, watchReads, watchReadyz, watchRoles, watchWrites } from './drill-probes.ts';
import type { LabControl } from './lab-control.ts';
import { patroniHealthy } from './lab-probes.ts';
import type { LabState } from './lab-state.ts';
import type { RenewalFleet } from './renewal-fleet.ts';
import { retryFailures, runOrders, type CountingTransport, type LoadResult, type RetryOutcome } from './load.ts';
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
  readonly fleet: RenewalFleet;
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

async function waitWhole(deps: ScenarioDeps): Promise<void> {
  // Whatever an earlier scenario left broken (one that failed half way) is put right first, as an
  // operator would before the next drill.
  for (const line of await deps.control.heal().catch((err: unknown) => [`could not heal the lab: ${(err as Error).message}`])) deps.log(line);
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

interface Watchers {
  readyz: ReturnType<typeof watchReadyz>;
  reads: ReturnType<typeof watchReads>;
  writes: Awaited<ReturnType<typeof watchWrites>>;
  /** The load's ACME POSTs through the front (each one a database write). */
  acmeWrites: OutageMeter;
  roles: ReturnType<typeof watchRoles>;
  stop(): Promise<void>;
}

/** The front's /readyz and reads, the database write probe and the roles, on `timeline`; all or none. */
async function startWatchers(deps: ScenarioDeps, timeline: Timeline): Promise<Watchers> {
  const nameOf = (id: string): string => [...deps.nodeIds].find(([, v]) => v === id)?.[0] ?? id;
  const readyz = watchReadyz(deps.state.frontUrl, timeline);
  const reads = watchReads(deps.state.frontUrl);
  let writes: Watchers['writes'];
  try {
    writes = await watchWrites(deps.probeUrl, timeline);
  } catch (err) {
    await Promise.all([readyz.stop(), reads.stop()]);
    throw new Error(`cannot write to the probe database (${(err as Error).message})`, { cause: err });
  }
  const roles = watchRoles(deps.control, deps.sql, nameOf, timeline);
  return {
    readyz, reads, writes, acmeWrites: new OutageMeter(), roles,
    stop: async () => void (await Promise.all([readyz.stop(), reads.stop(), writes.stop(), roles.stop()])),
  };
}

interface Ran {
  outcome: RunOutcome;
  error: string | undefined;
  load: LoadResult;
  retried: RetryOutcome[];
  end: number;
  figures: Partial<Figures>;
}

/** The scenario's fault and recovery under a steady load; then the clients retry what failed. */
async function underLoad(scenario: Scenario, deps: ScenarioDeps, timeline: Timeline, w: Watchers): Promise<Ran> {
  const figures: Partial<Figures> = {};
  const ctx = makeContext({ state: deps.state, control: deps.control, timeline, roles: w.roles, writes: w.writes.meter, sql: deps.sql, quick: deps.quick, nodeIds: deps.nodeIds, rootPem: deps.rootPem, figures, fleet: deps.fleet, log: deps.log });
  await ctx.until(() => w.roles.lease().holder !== undefined, 5_000);
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
  let error: string | undefined;
  try {
    outcome = await scenario.run(ctx);
  } catch (err) {
    error = (err as Error).message;
  }
  stop = true;
  const result = await load;
  const end = Date.now();
  return { outcome, error, load: result, retried: await retryFailures(result.failures, deps.responder), end, figures };
}

/** Orders completed from the second of the last recovery on: the load came back, not only ran before. */
function ordersAfterRecovery(timeline: Timeline): number {
  const marks = timeline.events.filter((e) => e.kind === 'recover' || e.kind === 'fault');
  const from = Math.floor((marks.at(-1)?.atMs ?? 0) / 1000);
  return timeline.seconds().filter((b) => b.second >= from).reduce((n, b) => n + b.ordersCompleted, 0);
}

/** Runs `scenario` and returns its result; a scenario that throws is reported as failed with its error. */
export async function runScenario(scenario: Scenario, deps: ScenarioDeps): Promise<ScenarioResult> {
  const startedAt = new Date();
  const timeline = new Timeline();
  const before = requestCounts(deps.transport);
  let ran: Ran;
  let w: Watchers;
  try {
    await waitWhole(deps);
    w = await startWatchers(deps, timeline);
  } catch (err) {
    return failedResult(scenario, startedAt, (err as Error).message);
  }
  deps.transport.onAnswer = (failed, method) => {
    const b = timeline.bucket();
    b.requests += 1;
    if (failed) b.errors += 1;
    if (method === 'POST') w.acmeWrites.record(!failed, Date.now());
  };
  try {
    ran = await underLoad(scenario, deps, timeline, w);
  } finally {
    await w.stop();
    deps.transport.onAnswer = undefined;
  }
  return judge(scenario, deps, { timeline, watchers: w, ran, before, startedAt });
}

async function judge(scenario: Scenario, deps: ScenarioDeps, r: { timeline: Timeline; watchers: Watchers; ran: Ran; before: Counts; startedAt: Date }): Promise<ScenarioResult> {
  const { timeline, ran } = r;
  const w = r.watchers;
  const down = { readyz: w.readyz.meter.longestMs(ran.end), reads: w.reads.meter.longestMs(ran.end), acmeWrites: w.acmeWrites.longestMs(ran.end), dbWrites: w.writes.meter.longestMs(ran.end) };
  const all = measured(ran.load, ran.retried, down, w.readyz.meter, r.before, requestCounts(deps.transport));
  const received = [...ran.load.received, ...ran.retried.flatMap((x) => (x.chainPem === undefined || x.url === undefined ? [] : [{ url: x.url, chainPem: x.chainPem }]))];
  const orderUrls = [...ran.load.completedUrls, ...ran.load.failures.flatMap((f) => (f.url === undefined ? [] : [f.url])), ...ran.retried.flatMap((x) => (x.url === undefined ? [] : [x.url]))];
  const consistency = await checkConsistency(deps.sql, received, orderUrls, timeline.t0, scenario.expectRetries);
  const faultAt = timeline.events.find((e) => e.kind === 'fault');
  const excluded = ran.outcome.excludedNode === undefined ? undefined : deps.nodeIds.get(ran.outcome.excludedNode);
  const dutiesResumeMs = faultAt === undefined ? null : await dutiesResumedMs(deps.sql, timeline.t0 + faultAt.atMs, DUTY_NAMES, excluded);
  const f: Figures = { ...all, ...consistency, dutiesResumeMs, ordersAfterRecovery: ordersAfterRecovery(timeline), ...ran.figures };
  const criteria = scenario.criteria(f, deps.state, ran.outcome.facts ?? {});
  return {
    name: scenario.name, title: scenario.title, fault: scenario.fault, seeds: scenario.seeds,
    pass: ran.error === undefined && criteria.every((c) => c.pass),
    startedAt: r.startedAt.toISOString(), durationMs: Date.now() - r.startedAt.getTime(),
    criteria, figures: f,
    timeline: { buckets: timeline.seconds(), events: timeline.events },
    ...(ran.error === undefined ? {} : { error: ran.error }),
  };
}

interface Downtimes { readyz: number; reads: number; acmeWrites: number; dbWrites: number }

function measured(result: LoadResult, retried: ReadonlyArray<{ error?: string }>, down: Downtimes, readyz: { attempts: number; failures: number }, before: Counts, after: Counts): Figures {
  return {
    ...emptyFigures(),
    unavailabilityMs: down.readyz,
    readyzPolls: readyz.attempts,
    readyzFailures: readyz.failures,
    readsDownMs: down.reads,
    acmeWritesDownMs: down.acmeWrites,
    requests: after.requests - before.requests,
    failedRequests: after.failed - before.failed,
    ordersStarted: result.started,
    ordersCompleted: result.completed + retried.filter((r) => r.error === undefined).length,
    ordersRetried: retried.filter((r) => r.error === undefined).length,
    ordersFailed: retried.filter((r) => r.error !== undefined).length,
    writeUnavailabilityMs: down.dbWrites,
  };
}

function failedResult(scenario: Scenario, startedAt: Date, error: string): ScenarioResult {
  return {
    name: scenario.name, title: scenario.title, fault: scenario.fault, seeds: scenario.seeds, pass: false,
    startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), criteria: [], figures: emptyFigures(),
    timeline: { buckets: [], events: [] }, error,
  };
}
