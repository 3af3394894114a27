import { X509Certificate } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { Authority } from './authority.ts';

function describe(pem: string): Record<string, string> {
  const x = new X509Certificate(pem);
  return { subject: x.subject, notBefore: new Date(x.validFrom).toISOString(), notAfter: new Date(x.validTo).toISOString(), sha256: x.fingerprint256 };
}

/** What `certainty ca show` and GET /admin/ca print. */
export async function caInfo(authority: Authority, config: Config): Promise<Record<string, unknown>> {
  return {
    issuerId: authority.issuerId,
    root: describe(authority.rootPem),
    intermediate: describe(authority.intermediatePem),
    algorithm: config.ca.algorithm,
  };
}
