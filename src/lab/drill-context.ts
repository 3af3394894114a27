// What a scenario gets to work with: the lab, its clock, the watchers, and small helpers to inject
// a fault, wait for an effect and record when it happened.
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { clusterDuties } from '../cluster/duties.ts';
import { DEFAULTS } from '../config/schema.ts';
import { dutiesResumedMs } from './drill-checks.ts';
import type { OutageMeter, Timeline, watchRoles } from './drill-probes.ts';
import type { LabControl } from './lab-control.ts';
import { httpCall } from './lab-probes.ts';
import type { LabState } from './lab-state.ts';
import type { RenewalFleet } from './renewal-fleet.ts';
import type { Criterion, Figures } from './report.ts';

export interface ScenarioContext {
  readonly state: LabState;
  readonly control: LabControl;
  readonly timeline: Timeline;
  readonly roles: ReturnType<typeof watchRoles>;
  readonly writes: OutageMeter;
  /** The certainty database (leases, jobs, certificates). */
  readonly sql: postgres.Sql;
  /** Shorter waits (CI): the same faults, less steady load around them. */
  readonly quick: boolean;
  /** Lab node name → its `server_id`. */
  readonly nodeIds: ReadonlyMap<string, string>;
  readonly rootPem: string;
  /** Figures the scenario measures itself (the harness fills in the rest). */
  readonly figures: Partial<Figures>;
  /** The managed certificates the renewal drills renew, set up by the first one that asks. */
  readonly fleet: RenewalFleet;
  /** Progress lines for the operator. */
  readonly log: (line: string) => void;
  /** Steady load before a fault and after recovery: 2 s quick, 6 s otherwise. */
  settle(): Promise<void>;
  fault(label: string): number;
  recover(label: string): number;
  /** Polls `check` every 100 ms until true; returns when it became true, or undefined at the timeout. */
  until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number | undefined>;
  /** The node's own /readyz is 200 (HTTPS, verified against the lab's root). */
  nodeReady(node: string): Promise<boolean>;
  /** The node's /healthz JSON, or undefined when it does not answer. */
  healthz(node: string): Promise<Record<string, unknown> | undefined>;
  /** The front's view of a node: UP, DOWN, MAINT... */
  frontState(node: string): string | undefined;
  /** Waits until every periodic duty has run after `at` on a node other than `excluded`; returns when. */
  waitForDuties(at: number, excluded: string | undefined, timeoutMs: number): Promise<number | undefined>;
}

/** What a scenario reports besides figures: the faulted node, and facts its criteria read. */
export interface RunOutcome {
  readonly excludedNode?: string;
  readonly facts?: Readonly<Record<string, boolean | number | string>>;
}

/** One drill: what it breaks, how it recovers, and what must hold. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly fault: string;
  readonly seeds: string;
  /** A crash or a pause: jobs running again is the at-least-once contract, not a failure. */
  readonly expectRetries: boolean;
  run(ctx: ScenarioContext): Promise<RunOutcome>;
  criteria(f: Figures, state: LabState, facts: Readonly<Record<string, boolean | number | string>>): Criterion[];
}

export function criterion(name: string, target: string, measured: string, pass: boolean): Criterion {
  return { name, target, measured, pass };
}

/** `measured ≤ limit` for a timing that may not have been measured (null fails). */
export function within(name: string, ms: number | null, limitMs: number, what = 'at most'): Criterion {
  const measured = ms === null ? 'not reached' : `${(ms / 1000).toFixed(1)} s`;
  return criterion(name, `${what} ${(limitMs / 1000).toFixed(limitMs % 1000 === 0 ? 0 : 1)} s`, measured, ms !== null && ms <= limitMs);
}

export function zero(name: string, n: number | null, unit: string): Criterion {
  return criterion(name, `0 ${unit}`, n === null ? 'not measured' : `${n} ${unit}`, n === 0);
}

/** The criteria every scenario shares: orders finish (after a client's retry) and nothing is lost. */
export function commonCriteria(f: Figures): Criterion[] {
  return [
    zero('no failed ACME order (after the client retries once)', f.ordersFailed, 'orders'),
    criterion('no committed order lost', '0 lost, 0 unknown', `${f.ordersLost} lost, ${f.certificatesUnknown} unknown`, f.ordersLost === 0 && f.certificatesUnknown === 0),
    criterion('orders complete again after the recovery', 'at least 1 order', `${f.ordersAfterRecovery} of ${f.ordersCompleted} orders`, f.ordersAfterRecovery > 0),
  ];
}

/** The periodic duties whose resumption the drills time. */
export const DUTY_NAMES: readonly string[] = clusterDuties(DEFAULTS.cluster).map((d) => d.name);

export function makeContext(base: Omit<ScenarioContext, 'settle' | 'fault' | 'recover' | 'until' | 'nodeReady' | 'healthz' | 'frontState' | 'waitForDuties'>): ScenarioContext {
  const node = (name: string): LabState['nodes'][number] => {
    const n = base.state.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no lab node named ${name}`);
    return n;
  };
  const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number | undefined> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await Promise.resolve(check()).catch(() => false)) return Date.now();
      await sleep(100);
    }
    return undefined;
  };
  return {
    ...base,
    until,
    waitForDuties: (at, excluded, timeoutMs) => {
      const id = excluded === undefined ? undefined : base.nodeIds.get(excluded);
      return until(async () => (await dutiesResumedMs(base.sql, at, DUTY_NAMES, id)) !== null, timeoutMs);
    },
    settle: () => sleep(base.quick ? 2_000 : 6_000),
    fault: (label) => base.timeline.event('fault', label),
    recover: (label) => base.timeline.event('recover', label),
    nodeReady: async (name) => (await httpCall(`${node(name).baseUrl}/readyz`, { ca: base.rootPem, timeoutMs: 1_000 }).catch(() => undefined))?.status === 200,
    healthz: async (name) => {
      const res = await httpCall(`${node(name).baseUrl}/healthz`, { ca: base.rootPem, timeoutMs: 2_000 }).catch(() => undefined);
      if (res === undefined) return undefined;
      try {
        return JSON.parse(res.body) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
    frontState: (name) => {
      const states = base.roles.frontStates();
      const key = Object.keys(states).find((k) => k.endsWith(`/${name}`));
      return key === undefined ? undefined : states[key];
    },
  };
}
