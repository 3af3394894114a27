// ACME Renewal Information (RFC 9773): what the CA suggests for a certificate's renewal.
import { AcmeError, retryAfterMs, type AcmeTransport } from './client.ts';

/** An ARI answer (RFC 9773 §4.2): the suggested window and when to ask again. */
export interface RenewalInfo { start: number; end: number; retryAfterMs: number | undefined; explanationUrl?: string }

/** GET renewalInfo/<certID>; undefined when the directory offers no ARI. Throws on a failed request. */
export async function fetchRenewalInfo(transport: AcmeTransport, certId: string): Promise<RenewalInfo | undefined> {
  const base: unknown = (await transport.getDirectory())['renewalInfo'];
  if (typeof base !== 'string') return undefined;
  const url = `${base.replace(/\/$/, '')}/${certId}`;
  const res = await transport.request('GET', url);
  const w = res.body?.suggestedWindow;
  if (res.status !== 200 || typeof w?.start !== 'string' || typeof w?.end !== 'string') throw new AcmeError(res.status, res.body, url);
  const start = Date.parse(w.start);
  const end = Date.parse(w.end);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) throw new Error(`${url}: the suggested window is not a pair of times, start before end`);
  const retry = retryAfterMs(res.headers['retry-after']);
  const explanationUrl: unknown = res.body?.explanationURL;
  return { start, end, retryAfterMs: retry, ...(typeof explanationUrl === 'string' ? { explanationUrl } : {}) };
}
