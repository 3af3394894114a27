/**
 * The `probes` duty: the probes whose time has come, a bounded number per pass and a few at a
 * time. The duty runs on one node at a time (a cluster duty); each probe is also claimed by
 * moving its next time, so a pass and `probe run` never both count one probe as due.
 */
import type { Logger } from 'pino';
import { runProbe } from './run-probe.ts';
import type { ProbeStore } from './store.ts';

/** Probes per pass: the rest wait for the next pass, which comes within the duty's period. */
const PER_PASS = 64;
/** Handshakes in flight at once. */
const CONCURRENCY = 8;

export async function runProbesDuty(deps: { store: ProbeStore; now: () => number; log: Logger }): Promise<number> {
  const due = await deps.store.dueProbes(deps.now(), PER_PASS);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < due.length) {
      const p = due[next];
      next += 1;
      if (p === undefined) continue;
      const now = deps.now();
      if (!(await deps.store.claimProbe(p.name, p.nextProbeAt, now + p.intervalMs))) continue;
      try {
        const r = await runProbe(deps.store, p, now);
        done += 1;
        if (r.last?.outcome !== 'ok') deps.log.info({ probe: p.name, outcome: r.last?.outcome, detail: r.last?.error }, 'probe found a problem');
      } catch (err) {
        // The next pass tries again at the probe's next time; one broken probe does not stop the others.
        deps.log.warn({ err, probe: p.name }, 'probe could not be stored');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
  return done;
}
