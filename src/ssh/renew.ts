import { AppError } from '../errors.ts';
import type { SignerCache } from './ca.ts';
import { parseCertificate } from './certificate.ts';
import type { SshDeps } from './deps.ts';
import { revokedBy } from './explain.ts';
import { fingerprintOf, parsePublicKeyLine, publicKeyLine } from './keys.ts';
import { signForRole, type SignedCertificate } from './sign.ts';
import { verifySshSignature } from './signer.ts';
import { verifySshSig } from './sshsig.ts';

/** The SSHSIG namespace a renewal is signed in (`ssh-keygen -Y sign -n …`), so no other signature by the host key counts. */
export const RENEW_NAMESPACE = 'certainty-ssh-renew';
/** How far a renewal's time may be from the server's: a captured request is useless after this. */
const RENEW_WINDOW_MS = 5 * 60_000;

/** A host's renewal: its current certificate, the time, and its SSHSIG over `renewMessage` by the certified key. */
export interface RenewRequest {
  certificate: string;
  timestamp: string;
  signature: string;
}

/** What the host signs: the namespace, the time and its certificate line. */
export function renewMessage(timestamp: string, certificate: string): Buffer {
  return Buffer.from(`${RENEW_NAMESPACE}\n${timestamp}\n${certificate.trim()}\n`);
}

const denied = (detail: string): AppError => new AppError('unauthorized', detail);

/**
 * Renews a host certificate without a token: the request proves possession of the certified
 * key (as step-ca's SSHPOP does), the certificate must be one this CA signed, still valid, not
 * revoked and under a trusted CA; the new one has the same key and principals under the same
 * role's current rules. A replayed request within the window only yields another certificate
 * for a key the replayer does not hold.
 */
export async function renewHostCertificate(deps: SshDeps & { signers: SignerCache }, req: RenewRequest): Promise<SignedCertificate> {
  const cert = parseCertificate(req.certificate);
  if (cert.kind !== 'host') throw denied('Only host certificates renew by proof of possession; sign user keys again with a token');
  const at = Date.parse(req.timestamp);
  const now = deps.now();
  if (Number.isNaN(at) || Math.abs(now - at) > RENEW_WINDOW_MS) throw denied('The renewal\'s time is more than 5 minutes from the server\'s: check the host\'s clock');
  const record = await deps.store.certificate(cert.serial.toString());
  const ca = record && (await deps.store.cas('host')).find((c) => c.id === record.caId);
  if (!record || !ca || fingerprintOf(cert.caKey.blob) !== parsePublicKeyLine(ca.publicKey).fingerprint || !verifySshSignature(cert.caKey, cert.signature, cert.signed)) {
    throw denied('This host certificate was not signed by this CA');
  }
  if (ca.status === 'retired') throw denied(`The certificate's CA ${ca.id} is retired: sign the host again with an operator token`);
  if (now >= Number(cert.validBefore) * 1000) throw denied('The certificate has expired: sign the host again with an operator token');
  const revoked = revokedBy(record.serial, cert.keyId, cert.key.blob.toString('base64'), ca.id, await deps.store.revocations());
  if (revoked !== undefined) throw denied(`The certificate is ${revoked}`);
  if (!verifySshSig(req.signature, cert.key, RENEW_NAMESPACE, renewMessage(req.timestamp, req.certificate))) {
    throw denied(`The signature does not prove possession of the certified key: sign with "ssh-keygen -Y sign -n ${RENEW_NAMESPACE}" and the host key`);
  }
  const role = await deps.store.role(record.role);
  if (!role) throw new AppError('notFound', `The certificate's role "${record.role}" no longer exists`);
  // A role of that name made again for users must not turn a host's renewal into a user certificate.
  if (role.role.kind !== 'host') throw denied(`The certificate's role "${record.role}" now signs ${role.role.kind} certificates; only host certificates renew themselves`);
  const who = { tokenId: 'renewal', tokenName: cert.principals[0] ?? '', admin: false, actor: `ssh-host:${cert.key.fingerprint}` };
  return signForRole(deps, role.role, { role: record.role, publicKey: publicKeyLine(cert.key.blob), principals: [...cert.principals] }, who);
}
