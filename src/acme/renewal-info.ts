import { AppError } from '../errors.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';

/** Seconds a client should wait before asking again (RFC 9773 §4.3). */
const RETRY_AFTER_SECONDS = 6 * 3600;

/** RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(DER serial number content octets). */
export function ariCertId(authorityKeyId: Buffer, serialHex: string): string {
  let serial = Buffer.from(serialHex.length % 2 === 1 ? `0${serialHex}` : serialHex, 'hex');
  if ((serial[0] ?? 0) >= 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return `${authorityKeyId.toString('base64url')}.${serial.toString('base64url')}`;
}

/** The suggested renewal window: starts after (100 - p)% of the lifetime and lasts p/2 %; now for revoked certificates. */
function suggestedWindow(cert: { notBefore: number; notAfter: number; revokedAt: number | null }, percent: number, now: number): { start: number; end: number } {
  if (cert.revokedAt !== null) return { start: now - 3600_000, end: now };
  const life = cert.notAfter - cert.notBefore;
  const start = cert.notBefore + Math.floor((life * (100 - percent)) / 100);
  return { start, end: start + Math.floor((life * percent) / 200) };
}

/** GET renewalInfo/<certID> (RFC 9773 §4.2); unauthenticated by design. */
export async function renewalInfo(deps: AcmeDeps, _req: AcmeRequest, certId: string): Promise<AcmeResponse> {
  const cert = await deps.store.certificateByAriId(certId);
  if (!cert) throw new AppError('notFound', `No certificate of this CA has the renewal identifier ${certId.slice(0, 120)}`);
  const w = suggestedWindow(cert, deps.settings.ariWindowPercent, deps.now());
  return {
    status: 200,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    json: { suggestedWindow: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() } },
  };
}
