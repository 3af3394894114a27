/** The sentence `managed show` and `managed list` print: what happened last and what is next. */
import { humanDuration } from '../duration.ts';
import type { ManagedCertificate, RenewalRule, Revision } from './types.ts';

const RULES: Record<RenewalRule, string> = {
  new: 'first issuance',
  ari: 'chosen in the window the CA suggests (ARI)',
  policy: 'renewal policy: a share of the lifetime left',
  'ari-unreachable': 'renewal policy, since the CA\'s ARI could not be reached',
  backoff: 'retry after a failure',
  operator: 'requested by an operator',
  'rate-budget': 'the next slot of the issuer\'s rate budget',
};

/** Why the next renewal is when it is, in words. */
export function ruleText(rule: RenewalRule): string {
  return RULES[rule];
}

function when(at: number, now: number): string {
  return at <= now ? 'now' : `in ${humanDuration(at - now)}`;
}

export function statusLine(cert: ManagedCertificate, current: Revision | undefined, now: number): string {
  if (cert.renewalRule === 'rate-budget' && cert.nextRenewalAt > now) return `waiting for the issuer's rate budget: next slot ${when(cert.nextRenewalAt, now)}`;
  const next = `${cert.lastOutcome === 'failed' ? 'next try' : 'next renewal'} ${when(cert.nextRenewalAt, now)} (${ruleText(cert.renewalRule)})`;
  if (cert.lastOutcome === 'failed') return `renewal failed: ${cert.lastDetail}; ${next}`;
  if (cert.lastOutcome === 'none') return `not issued yet; first order ${when(cert.nextRenewalAt, now)}`;
  const valid = current ? `, valid until ${new Date(current.notAfter).toISOString()}` : '';
  return `${cert.lastDetail}${valid}; ${next}`;
}
