import { derToPem } from '../ca/pem.ts';
import { AppError } from '../errors.ts';
import { authenticateKid } from './authenticate.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';

/** RFC 8555 §7.4.2: POST-as-GET returns the leaf and its chain as application/pem-certificate-chain. */
export async function downloadCertificate(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  if (!auth.postAsGet) throw new AppError('malformed', 'Download a certificate with POST-as-GET (an empty payload)');
  const cert = await deps.store.certificateById(id);
  if (!cert || cert.accountId !== auth.account.id) throw new AppError('notFound', 'No certificate of this account at this URL');
  return { status: 200, raw: { contentType: 'application/pem-certificate-chain', body: derToPem(cert.der, 'CERTIFICATE') + cert.chainPem } };
}
