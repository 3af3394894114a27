/** What a serving node runs for the lifecycle domain: the renewal job and the periodic duty. */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Kek } from '../kek/kek.ts';
import { queueDeploys, runDeploy } from './deploy-job.ts';
import { runLifecycleDuty } from './due.ts';
import { runRenewal, type LocalSigner } from './renew.ts';
import { NO_LIFECYCLE_REPORT, type LifecycleReport } from './report.ts';
import type { LifecycleStore } from './store.ts';

export interface LifecycleRuntimeDeps {
  store: LifecycleStore;
  kek: Kek;
  now: () => number;
  log: Logger;
  local: LocalSigner | undefined;
  settings: { upstreamTimeoutMs: number; orderTimeoutMs: number; ariPollMaxMs: number };
  /** Resolves deploy targets' secret references (src/lifecycle/secret-ref.ts). */
  secret?: (ref: string) => Promise<string>;
  /** This node's metrics; nothing counted when absent. */
  report?: LifecycleReport;
}

export interface LifecycleRuntime {
  /** The `lifecycle-renew` job: one attempt, `payload` `{ name, seq }`. */
  renew(payload: Record<string, unknown>): Promise<void>;
  /** The `lifecycle-deploy` job `job` (run by `owner`): one revision to one target, `payload` `{ name, revision, target }`; 'completed' when it completed the job itself. */
  deploy(payload: Record<string, unknown>, job: { id: string; owner: string }): Promise<void | 'completed'>;
  /** The `lifecycle` duty. */
  duty(): Promise<unknown>;
}

export function lifecycleRuntime(deps: LifecycleRuntimeDeps): LifecycleRuntime {
  const timeouts = { timeoutMs: deps.settings.upstreamTimeoutMs, pollTimeoutMs: deps.settings.orderTimeoutMs };
  const report = deps.report ?? NO_LIFECYCLE_REPORT;
  return {
    renew: (payload) => runRenewal({ ...deps, ...timeouts, report, onRenewed: queueDeploys }, String(payload.name), Number(payload.seq), payload.created === undefined ? undefined : Number(payload.created)),
    deploy: (payload, job) => runDeploy({ ...deps, report }, payload, job),
    duty: () => runLifecycleDuty({ store: deps.store, now: deps.now, log: deps.log, timeoutMs: deps.settings.upstreamTimeoutMs, ariPollMaxMs: deps.settings.ariPollMaxMs, random: () => randomInt(2 ** 30) / 2 ** 30 }),
  };
}
