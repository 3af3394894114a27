// The drill report: what `certainty drill` measured, as plain data. The renderers (report-html.ts,
// report-table.ts) only read it, and the JSON written beside them is this shape as is, so a
// later run can be compared with an earlier one without re-running the drill.

/** One pass criterion: the target from PRODUCT.md's failure table and what was measured. */
export interface Criterion {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** fault: the drill broke something; recover: it undid that; role: a node changed role (lease, primary); note: anything else worth a line on the chart. */
export type EventKind = 'fault' | 'recover' | 'role' | 'note';

/** A moment on a scenario's timeline; atMs counts from the scenario start. */
export interface TimelineEvent {
  readonly atMs: number;
  readonly kind: EventKind;
  readonly label: string;
}

/** One second of the scenario (second 0 = scenario start). Mutable so the load loop can count into it. */
export interface SecondBucket {
  readonly second: number;
  requests: number;
  errors: number;
  ordersCompleted: number;
  readyzOk: number;
  readyzFailed: number;
  writesOk: number;
  writesFailed: number;
}

/** Measured figures; null = not measured in this scenario. Times in ms. */
export interface Figures {
  /** Longest run of failed /readyz polls through the front (100 ms polling). */
  unavailabilityMs: number;
  readyzPolls: number;
  readyzFailures: number;
  /** Longest run of failed reads through the front: GET /directory and HEAD newNonce, which need no database write (100 ms polling). */
  readsDownMs: number;
  /** Longest run of failed ACME POSTs through the front (no answer or a 5xx): each redeems a nonce, a database write. */
  acmeWritesDownMs: number;
  /** ACME HTTP requests through the front; failed = no answer or a 5xx. */
  requests: number;
  failedRequests: number;
  ordersStarted: number;
  ordersCompleted: number;
  /** Orders completed from the last recovery (or fault) on: the load came back. */
  ordersAfterRecovery: number;
  /** Orders that hit an error and were finished by a client retry. */
  ordersRetried: number;
  /** Orders that failed even after the retry. */
  ordersFailed: number;
  /** Fault -> the front's HAProxy marks the node DOWN. */
  markedDownMs: number | null;
  /** Fault -> a live node holds the scheduler lease and runs a duty. */
  dutiesResumeMs: number | null;
  /** Longest gap between successful database probe writes. */
  writeUnavailabilityMs: number | null;
  fencedWritesRejected: number | null;
  /** Certificates a client received that are not in the database. */
  ordersLost: number;
  /** Certificates in the database no client received (for orders of this drill). */
  certificatesUnknown: number;
  jobsRunTwice: number;
  /** Jobs of the scenario that ended failed. */
  jobsFailed: number;
  /** Fault -> another node holds the scheduler lease. */
  takeoverMs: number | null;
  /** Fault -> the faulted node's own /readyz stops answering 200. */
  notReadyMs: number | null;
  /** Fault -> Patroni has promoted another member. */
  failoverMs: number | null;
  /** Promotion (or switchover) -> the first successful database write. */
  writesResumeMs: number | null;
  /** Renewal drills: managed certificates renewed in the scenario. */
  fleetSize: number | null;
  /** Time to issue and deploy the fleet before the scenario (setup, no criterion); null when it was already there. */
  fleetSetupMs: number | null;
  /** The trigger (revocation at the upstream) -> every certificate renewed, deployed and verified. */
  renewedAllMs: number | null;
  /** Certificates whose target files hold a new, verified certificate. */
  certificatesRenewed: number | null;
  /** Orders the upstream CA received during the renewals: one per certificate. */
  upstreamOrders: number | null;
  /** Target files written again after they held their renewed certificate. */
  duplicateDeploys: number | null;
  /** Failed renewal attempts of the fleet, and its renewal and deploy jobs that ended failed. */
  renewalsFailed: number | null;
}

/** One fault drill, run to the end or stopped by `error`. */
export interface ScenarioResult {
  /** Stable identifier, e.g. 'node-kill'. */
  readonly name: string;
  /** e.g. 'One app node crashes (SIGKILL)'. */
  readonly title: string;
  /** What was done, one sentence. */
  readonly fault: string;
  /** What published incident reports give for this fault elsewhere, e.g. '10–20 s outage (active/passive container crash)'. */
  readonly seeds: string;
  readonly pass: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly criteria: readonly Criterion[];
  readonly figures: Figures;
  readonly timeline: { readonly buckets: readonly SecondBucket[]; readonly events: readonly TimelineEvent[] };
  /** Set when the scenario could not run to the end. */
  readonly error?: string;
}

/** Everything one `certainty drill` run produced. */
export interface DrillReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly host: string;
  readonly pass: boolean;
  /** The lab's tuning and load settings the drill ran with. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly scenarios: readonly ScenarioResult[];
}

/** The seeds' reference figures printed beside ours. */
export const SEED_FIGURES: readonly { fault: string; seeds: string }[] = [
  { fault: 'app node crash', seeds: '10–20 s (container crash, active/passive)' },
  { fault: 'router crash', seeds: '~30 s' },
  { fault: 'database crash', seeds: '~36 s' },
];

/** Figures before anything was measured: counts at zero, optional timings not measured. */
export function emptyFigures(): Figures {
  return {
    unavailabilityMs: 0,
    readyzPolls: 0,
    readyzFailures: 0,
    readsDownMs: 0,
    acmeWritesDownMs: 0,
    requests: 0,
    failedRequests: 0,
    ordersStarted: 0,
    ordersCompleted: 0,
    ordersAfterRecovery: 0,
    ordersRetried: 0,
    ordersFailed: 0,
    markedDownMs: null,
    dutiesResumeMs: null,
    writeUnavailabilityMs: null,
    fencedWritesRejected: null,
    ordersLost: 0,
    certificatesUnknown: 0,
    jobsRunTwice: 0,
    jobsFailed: 0,
    takeoverMs: null,
    notReadyMs: null,
    failoverMs: null,
    writesResumeMs: null,
    fleetSize: null,
    fleetSetupMs: null,
    renewedAllMs: null,
    certificatesRenewed: null,
    upstreamOrders: null,
    duplicateDeploys: null,
    renewalsFailed: null,
  };
}

export function emptyBucket(second: number): SecondBucket {
  return { second, requests: 0, errors: 0, ordersCompleted: 0, readyzOk: 0, readyzFailed: 0, writesOk: 0, writesFailed: 0 };
}
