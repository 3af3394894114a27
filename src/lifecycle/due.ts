/**
 * The `lifecycle` duty: run by one node per period (the scheduler lease), it asks ARI where its
 * poll time has come and queues the renewal job of every certificate whose time has come. The
 * jobs' idempotency keys make a second run, or a second node, harmless.
 */
import type { Logger } from 'pino';
import { fetchRenewalInfo } from '../acme-client/renewal-info.ts';
import { managedExpiring, renewNowCondition } from './conditions.ts';
import { describeFailure } from './failure.ts';
import { queueRenewal } from './managed.ts';
import { ariRenewalTime, keepsChosenTime, nextAriPoll, policyRenewalTime } from './schedule.ts';
import type { LifecycleStore } from './store.ts';
import type { ManagedCertificate, RenewalState } from './types.ts';
import { upstreamTransport } from './upstream.ts';

export interface DueDeps {
  store: LifecycleStore;
  now: () => number;
  log: Logger;
  timeoutMs: number;
  /** Longest wait between two ARI polls (`lifecycle.ariPollMaxMs`). */
  ariPollMaxMs: number;
  /** A draw in [0, 1) for the time chosen in an ARI window; injected so tests control it. */
  random: () => number;
}

/** Certificates looked at per run; the rest wait for the next period. */
const BATCH = 200;
/** When ARI is unreachable, it is asked again after this long. */
const ARI_RETRY_MS = 3_600_000;

export async function runLifecycleDuty(deps: DueDeps): Promise<{ queued: number; polled: number }> {
  const now = deps.now();
  let queued = 0;
  let polled = 0;
  for (const due of await deps.store.due(now, BATCH)) {
    let cert = due;
    if (cert.ariPollAt !== undefined && cert.ariPollAt <= now) {
      cert = (await pollAri(deps, cert)) ?? cert;
      polled += 1;
    }
    if (cert.nextRenewalAt <= deps.now()) {
      await queueRenewal(deps.store, cert);
      queued += 1;
    }
  }
  await deps.store.pruneHttp01(now);
  await managedExpiring(deps.store, now);
  if (queued + polled > 0) deps.log.debug({ queued, polled }, 'lifecycle duty done');
  return { queued, polled };
}

/**
 * Asks the issuer's ARI about the current revision and stores the window, the time chosen in it
 * and when to ask again (RFC 9773 §4.2, §4.3). No ARI in the directory: the policy's time stays
 * and ARI is not asked again. ARI unreachable: the policy's time, marked as such.
 */
async function pollAri(deps: DueDeps, cert: ManagedCertificate): Promise<ManagedCertificate | undefined> {
  const [current] = await deps.store.revisions(cert.name);
  const issuer = await deps.store.issuer(cert.issuer);
  const now = deps.now();
  // A failure's backoff, an operator's "renew now" and a wait for the rate budget keep their time; ARI only moves a planned renewal.
  const keepTime = cert.lastOutcome === 'failed' || cert.renewalRule === 'operator' || cert.renewalRule === 'rate-budget';
  let state: RenewalState;
  if (!current?.ariId || issuer?.kind !== 'acme') {
    state = { ...cert, ariPollAt: undefined };
  } else {
    const transport = upstreamTransport(issuer, deps.timeoutMs);
    try {
      const info = await fetchRenewalInfo(transport, current.ariId);
      if (info === undefined) {
        state = { ...cert, ariPollAt: undefined };
      } else {
        const window = { start: info.start, end: info.end };
        if (window.start <= now) await renewNowCondition(deps.store, cert.name, window.start, info.explanationUrl);
        const chosen = keepsChosenTime(cert.ari, window) && cert.ari ? cert.ari.chosen : ariRenewalTime(window, deps.random(), now);
        state = {
          ...cert, ari: { ...window, chosen, ...(info.explanationUrl === undefined ? {} : { explanationUrl: info.explanationUrl }) },
          ariPollAt: nextAriPoll(now, info.retryAfterMs, 6 * 3_600_000, deps.ariPollMaxMs),
          ...(keepTime ? {} : { nextRenewalAt: chosen, renewalRule: 'ari' as const }),
        };
      }
    } catch (err) {
      const policyAt = policyRenewalTime(current, cert.spec.policy.renewWhenLeft, `${cert.name}:${current.serial}`);
      deps.log.warn({ managed: cert.name, detail: describeFailure(err).detail }, 'ARI unreachable; the renewal policy decides');
      state = { ...cert, ariPollAt: now + Math.min(ARI_RETRY_MS, deps.ariPollMaxMs), ...(keepTime ? {} : { nextRenewalAt: policyAt, renewalRule: 'ari-unreachable' as const }) };
    } finally {
      transport.close();
    }
  }
  if (!(await deps.store.updateRenewalState(cert.name, cert.version, state, false))) return undefined;
  return { ...cert, ...state, version: cert.version + 1 };
}
