/**
 * One scheduled probe: connect, judge what is served, store the result, and raise or clear the
 * probe's `drift` and `expiring` conditions in the same transaction, so a notification commits
 * with the result that caused it.
 */
import { expiringThreshold, type LifecycleEvents } from '../events.ts';
import { probeEndpoint, type ProbeResult } from './probe.ts';
import type { ProbeEndpoint, ProbeOutcome, ProbeStore } from './store.ts';

/** Per handshake: a slow endpoint must not hold the duty up for long. */
const PROBE_TIMEOUT_MS = 5_000;

/** The subject of a probe's conditions (src/lifecycle/events.ts). */
const probeSubject = (name: string): string => `probe:${name}`;

/** Probes `p` now, stores the result and its conditions; returns the probe with its new result. */
export async function runProbe(store: ProbeStore, p: ProbeEndpoint, now: number): Promise<ProbeEndpoint> {
  const expected = p.expectedManaged === null ? undefined : await store.managedFingerprint(p.expectedManaged);
  const result = await probeEndpoint(
    { host: p.host, port: p.port, servername: p.servername ?? undefined },
    { trust: p.trustPem ?? undefined, expectedFingerprint256: expected, now, timeoutMs: PROBE_TIMEOUT_MS },
  );
  const last = outcomeOf(result);
  await store.transaction(async (s) => {
    await s.saveResult(p.name, last);
    await probeConditions(s, p, result);
  });
  return { ...p, last };
}

/** The stored verdict: `error` when nothing was read, `problem` when what was read is wrong, else `ok`. */
export function outcomeOf(r: ProbeResult): ProbeOutcome {
  const problems = r.served === null ? [] : problemsOf(r);
  return {
    checkedAt: r.checkedAt,
    outcome: r.served === null ? 'error' : problems.length > 0 ? 'problem' : 'ok',
    error: r.error ?? (problems.length > 0 ? problems.join('; ') : null),
    fingerprint256: r.served?.fingerprint256 ?? null,
    serial: r.served?.serial ?? null,
    notAfter: r.served?.notAfter ?? null,
    daysLeft: r.daysLeft,
    chainValid: r.chainValid,
    chainError: r.chainError,
    nameMatch: r.nameMatch,
    drift: r.drift,
  };
}

function problemsOf(r: ProbeResult): string[] {
  const out: string[] = [];
  if (r.daysLeft !== null && r.daysLeft < 0) out.push('the certificate has expired');
  if (r.chainValid === false) out.push(`the chain does not lead to the trust bundle (${r.chainError ?? 'not trusted'})`);
  if (r.nameMatch === false) out.push(`the certificate does not name ${r.endpoint.servername ?? r.endpoint.host}`);
  if (r.drift === true) out.push('the certificate served is not the expected one');
  return out;
}

/**
 * `drift` while the expected certificate is not served; `expiring` at the threshold the served
 * one has crossed. An endpoint that could not be read changes neither: it says nothing new.
 */
async function probeConditions(events: LifecycleEvents, p: ProbeEndpoint, r: ProbeResult): Promise<void> {
  if (r.served === null) return;
  const subject = probeSubject(p.name);
  const name = p.name;
  const where = `${p.host}:${p.port}`;
  if (r.drift === true) {
    await events.raise({ kind: 'drift', subject, name, detail: `${where} serves serial ${r.served.serial} (SHA-256 ${r.served.fingerprint256}), not the current revision of ${p.expectedManaged ?? '?'}` });
  } else if (r.drift === false) {
    await events.clear({ kind: 'drift', subject, name, detail: `${where} serves the current revision of ${p.expectedManaged ?? '?'}` });
  }
  const threshold = expiringThreshold(r.served, r.checkedAt);
  if (threshold === undefined) {
    await events.clear({ kind: 'expiring', subject, name, detail: `${where} serves serial ${r.served.serial}, valid until ${new Date(r.served.notAfter).toISOString()}` });
    return;
  }
  const left = r.daysLeft ?? 0;
  const until = new Date(r.served.notAfter).toISOString();
  await events.raise({ kind: 'expiring', subject, name, threshold, detail: `${where} serves serial ${r.served.serial}, ${left < 0 ? `expired ${until}` : `${left} day(s) left, until ${until}`}` });
}
