import type { Logger } from 'pino';
import type { AcmeStore } from './acme/store.ts';
import type { Authority } from './ca/authority.ts';
import type { JobQueue } from './jobs/queue.ts';

export interface DutyDeps {
  store: AcmeStore;
  jobs: JobQueue;
  authority: Authority;
  log: Logger;
  now: () => number;
  renewTls: (() => Promise<void>) | undefined;
}

const PERIOD_MS = 60_000;
/** Completed jobs are kept a day, for `cluster status` and audits of who ran what. */
const DONE_JOB_RETENTION_MS = 86_400_000;

/**
 * Periodic housekeeping: expire stale orders and authorizations, prune used nonces, keep the CRL
 * fresh, renew the listener certificate. Every duty is idempotent, so running it on several
 * nodes at once is harmless.
 */
export function startDuties(deps: DutyDeps): { stop(): void } {
  const run = async (): Promise<void> => {
    const now = deps.now();
    const duties: Array<[string, () => Promise<unknown>]> = [
      ['expire', () => deps.store.expireStale(now)],
      ['prune-nonces', () => deps.store.pruneNonces(now)],
      ['prune-jobs', () => deps.jobs.pruneDone(DONE_JOB_RETENTION_MS)],
      ['crl', () => deps.authority.currentCrl(deps.authority.issuerId)],
      ...(deps.renewTls ? [['tls-renewal', deps.renewTls] as [string, () => Promise<unknown>]] : []),
    ];
    for (const [name, duty] of duties) {
      try {
        await duty();
      } catch (err) {
        deps.log.warn({ err, duty: name }, 'periodic duty failed; it will run again');
      }
    }
  };
  const first = setTimeout(() => void run(), 1000);
  const timer = setInterval(() => void run(), PERIOD_MS);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
