import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { normaliseSerial } from '../ca/pem.ts';
import { checkRevocationReason, revokeCertificate } from '../ca/revoke.ts';
import { AppError } from '../errors.ts';
import { authenticateEither } from './authenticate.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { parsePayload } from './jws.ts';
import type { IssuedCertificate } from './types.ts';

function sha(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function parseCertificate(value: unknown): { der: Buffer; serial: string; spki: Buffer } {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) throw new AppError('malformed', '"certificate" must be base64url DER');
  const der = Buffer.from(value, 'base64url');
  try {
    const cert = new X509Certificate(der);
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
    return { der, serial: normaliseSerial(cert.serialNumber), spki };
  } catch {
    throw new AppError('malformed', '"certificate" is not a valid DER X.509 certificate');
  }
}

/** RFC 8555 §7.6: by the issuing account, an account holding authorizations for every name, or the certificate key. */
export async function revokeCert(deps: AcmeDeps, req: AcmeRequest): Promise<AcmeResponse> {
  const signed = await authenticateEither(deps, req);
  const payload = parsePayload('kid' in signed ? signed.kid.payload : signed.jwk.payload);
  const reason = checkRevocationReason(payload.reason === undefined ? 0 : payload.reason);
  const presented = parseCertificate(payload.certificate);
  const cert = await deps.store.certificateBySerial(presented.serial);
  if (!cert || sha(cert.der) !== sha(presented.der)) throw new AppError('malformed', 'The certificate was not issued by this CA');
  if ('kid' in signed) await checkAccountMayRevoke(deps, signed.kid.account.id, cert);
  else {
    const spki = createPublicKey({ key: signed.jwk.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    if (!spki.equals(presented.spki)) throw new AppError('unauthorized', 'The request is signed by a key that is neither an account key nor the certificate key');
  }
  const actor = 'kid' in signed ? `account:${signed.kid.account.id}` : 'certificate-key';
  const { crlError } = await revokeCertificate({ store: deps.revocations, crl: deps.issuer, now: deps.now }, { certificate: cert, reason, actor });
  // The revocation is committed, so a failed CRL update must not turn the answer into an error.
  if (crlError) deps.log.warn({ err: crlError, serial: cert.serial }, 'CRL update after a revocation failed; the queued crl job will publish it');
  return { status: 200 };
}

/**
 * RFC 8555 §7.6: an account that did not issue the certificate needs valid authorizations for all
 * its identifiers. A wildcard name needs a wildcard authorization: an authorization for the base
 * name proves control of one host, not of every name under it (as in Boulder).
 */
async function checkAccountMayRevoke(deps: AcmeDeps, accountId: string, cert: IssuedCertificate): Promise<void> {
  if (cert.accountId === accountId) return;
  const held = await deps.store.validAuthorizationNames(accountId, deps.now());
  const covered = cert.identifiers.every((i) => held.has(i.value));
  if (!covered) throw new AppError('unauthorized', 'This account did not issue the certificate and does not hold valid authorizations for all its names');
}
