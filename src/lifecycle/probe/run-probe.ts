/**
 * One scheduled probe: connect, judge what is served, store the result, and raise or clear the
 * probe's `drift`, `expiring` and `probe-unreachable` conditions in the same transaction, so a
 * notification commits with the result that caused it.
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
  const last = await store.transaction(async (s) => {
    // The failures in a row so far, read in the transaction that stores the next one.
    const outcome = outcomeOf(result, (await s.probe(p.name))?.last ?? null);
    await s.saveResult(p.name, outcome);
    await probeConditions(s, p, result);
    await unreachableCondition(s, p, outcome);
    return outcome;
  });
  return { ...p, last };
}

/**
 * The stored verdict: `error` when nothing was read, `problem` when what was read is wrong, else
 * `ok`; `previous` (the last stored one) carries the count of errors in a row.
 */
export function outcomeOf(r: ProbeResult, previous: ProbeOutcome | null): ProbeOutcome {
  const problems = r.served === null ? [] : problemsOf(r);
  return {
    checkedAt: r.checkedAt,
    consecutiveErrors: r.served === null ? (previous?.consecutiveErrors ?? 0) + 1 : 0,
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

/**
 * `probe-unreachable` once the endpoint could not be read `unreachableAfter` times in a row (so one
 * blip does not page anyone); cleared, and told as resolved, when it answers again.
 */
async function unreachableCondition(events: LifecycleEvents, p: ProbeEndpoint, last: ProbeOutcome): Promise<void> {
  const subject = probeSubject(p.name);
  const where = `${p.host}:${p.port}`;
  if (last.outcome !== 'error') {
    await events.clear({ kind: 'probe-unreachable', subject, name: p.name, detail: `${where} answers again` });
    return;
  }
  if (last.consecutiveErrors < p.unreachableAfter) return;
  await events.raise({
    kind: 'probe-unreachable', subject, name: p.name,
    detail: `${where} could not be read ${last.consecutiveErrors} times in a row; the last probe found: ${last.error ?? 'no answer'}`,
  });
}
