import { X509Certificate } from 'node:crypto';

function describe(pem: string): Record<string, string> {
  const x = new X509Certificate(pem);
  return { subject: x.subject, notBefore: new Date(x.validFrom).toISOString(), notAfter: new Date(x.validTo).toISOString(), sha256: x.fingerprint256 };
}

/** What `certainty ca show` and GET /admin/ca print; `algorithm` is the configured key algorithm (ca.algorithm). */
export function caInfo(ca: { issuerId: string; rootPem: string; intermediatePem: string }, algorithm: string): Record<string, unknown> {
  return {
    issuerId: ca.issuerId,
    root: describe(ca.rootPem),
    intermediate: describe(ca.intermediatePem),
    algorithm,
  };
}
