import type { Logger } from 'pino';
import type { AcmeStore } from './acme/store.ts';
import type { Authority } from './ca/authority.ts';
import type { JobStore } from './jobs/store.ts';

export interface DutyDeps {
  store: AcmeStore;
  jobs: Pick<JobStore, 'pruneDone'>;
  authority: Authority;
  log: Logger;
  now: () => number;
  /** Queues due renewals and polls ARI (src/lifecycle/due.ts). */
  lifecycle?: () => Promise<unknown>;
  /** Rebuilds the SSH KRL when revocations moved past it (src/ssh/publish-krl.ts). */
  sshKrl?: () => Promise<unknown>;
  /** Soft-deletes expired secret versions and rotates due generated secrets (src/secrets/duty.ts). */
  secrets?: () => Promise<unknown>;
  /** Queues undelivered notifications whose job gave up, prunes delivered ones (src/notify/deliver.ts). */
  notify?: () => Promise<unknown>;
  /** Runs the TLS probes whose time has come (src/lifecycle/probe/duty.ts). */
  probes?: () => Promise<unknown>;
}

/** Completed jobs are kept a day, for `cluster status` and audits of who ran what. */
const DONE_JOB_RETENTION_MS = 86_400_000;

/** What each duty of src/cluster/duties.ts does. Every duty is idempotent: a job run twice after a crash is harmless. */
export function dutyHandlers(deps: DutyDeps): Record<string, () => Promise<void>> {
  return {
    async housekeeping() {
      const now = deps.now();
      const expired = await deps.store.expireStale(now);
      const nonces = await deps.store.pruneNonces(now);
      const jobs = await deps.jobs.pruneDone(DONE_JOB_RETENTION_MS);
      deps.log.debug({ expired, nonces, jobs }, 'housekeeping done');
    },
    // Also the backstop for a revocation whose crl job ran out of attempts: a CRL behind the
    // revocations is rebuilt, not only one past half its lifetime.
    async crl() {
      await deps.authority.updateCrls();
    },
    async lifecycle() {
      await deps.lifecycle?.();
    },
    // The backstop for a revocation whose request failed to rebuild the KRL.
    async 'ssh-krl'() {
      await deps.sshKrl?.();
    },
    async secrets() {
      await deps.secrets?.();
    },
    async notify() {
      await deps.notify?.();
    },
    async probes() {
      await deps.probes?.();
    },
  };
}

/** This node's own listener certificate is renewed locally: every node has its own. */
export function startLocalRenewal(renew: () => Promise<void>, log: Logger): { stop(): void } {
  const timer = setInterval(() => {
    renew().catch((err: unknown) => log.warn({ err }, 'listener certificate renewal failed; will retry'));
  }, 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
