/** What went wrong with a renewal, in words an operator acts on, and whether retrying soon may help. */
import { AcmeError } from '../acme-client/client.ts';
import { isAppError } from '../errors.ts';
import { DnsUpdateError } from './dns-update/errors.ts';
import type { FailureKind } from './schedule.ts';

const ACME_PREFIX = 'urn:ietf:params:acme:error:';
/** Problems that go away by themselves: the upstream is busy, limited or hiccuped. */
const TRANSIENT_PROBLEMS = new Set(['rateLimited', 'serverInternal', 'badNonce']);
/**
 * The codes Node's TLS client gives a certificate it cannot verify (OpenSSL's X509_V_ERR_* names,
 * and the host name check). Matched on the code, not the message: an error that merely mentions a
 * certificate says nothing about the upstream's HTTPS.
 */
const TLS_TRUST_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_(HAS_EXPIRED|NOT_YET_VALID|UNTRUSTED|REJECTED|SIGNATURE_FAILURE|CHAIN_TOO_LONG)|ERR_TLS_CERT_ALTNAME_INVALID)$/;
const ACCOUNT_PROBLEMS = new Set(['unauthorized', 'externalAccountRequired', 'malformed', 'accountDoesNotExist']);

function acmeFailure(err: AcmeError): { kind: FailureKind; detail: string } {
  const short = err.type.startsWith(ACME_PREFIX) ? err.type.slice(ACME_PREFIX.length) : err.type;
  const what = err.problem?.detail ? `: ${err.problem.detail.slice(0, 300)}` : '';
  const transient = TRANSIENT_PROBLEMS.has(short) || /^http:5\d\d$/.test(short);
  if (ACCOUNT_PROBLEMS.has(short) && /new-?acc(ount)?/i.test(err.url)) {
    return { kind: 'hard', detail: `upstream refused the account (${short})${what}; check the issuer's EAB key id and HMAC key and its contact` };
  }
  return { kind: transient ? 'transient' : 'hard', detail: `upstream answered ${short}${what}` };
}

/** The failure's kind (for the backoff) and its plain-words detail (for `managed show`); never a secret. */
export function describeFailure(err: unknown): { kind: FailureKind; detail: string } {
  if (err instanceof AcmeError) return acmeFailure(err);
  if (err instanceof DnsUpdateError) return { kind: err.transient ? 'transient' : 'hard', detail: err.message.slice(0, 400) };
  if (isAppError(err)) return { kind: 'hard', detail: err.detail.slice(0, 400) };
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return { kind: 'transient', detail: `upstream unreachable (${code}): ${message.slice(0, 200)}` };
  if (code !== undefined && TLS_TRUST_CODES.test(code)) return { kind: 'hard', detail: `upstream's HTTPS certificate is not trusted (${code}): ${message.slice(0, 200)}; give the issuer a trust bundle (--trust)` };
  return { kind: 'transient', detail: message.slice(0, 300) };
}
