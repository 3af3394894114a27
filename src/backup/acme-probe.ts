import type { webcrypto } from 'node:crypto';
import { AcmeClient, AcmeTransport } from '../acme-client/client.ts';
import type { Http01Responder } from '../acme-client/responder.ts';

export interface ProbeResult {
  chainPem: string;
  /** The certificate key's SubjectPublicKeyInfo (DER), to compare with the issued leaf. */
  spki: Buffer;
}

/**
 * One complete order for an IP identifier (RFC 8738, so no DNS is needed) against `directoryUrl`,
 * trusting only `caPem`, with http-01 answered by `responder`: the proof that a restored CA issues.
 * Every request and every poll is bounded by `timeoutMs`.
 */
export async function issueProbeCertificate(directoryUrl: string, caPem: string, ip: string, responder: Http01Responder, timeoutMs: number): Promise<ProbeResult> {
  const transport = new AcmeTransport({ directoryUrl, ca: caPem, timeoutMs });
  try {
    const client = new AcmeClient(transport, undefined, { timeoutMs, maxRetryAfterMs: 1_000 });
    await client.createAccount();
    const issued = await client.issue({ identifiers: [{ type: 'ip', value: ip }], challengeType: 'http-01', solver: responder });
    const publicKey = issued.keys.publicKey as webcrypto.CryptoKey;
    return { chainPem: issued.certificatePem, spki: Buffer.from(await globalThis.crypto.subtle.exportKey('spki', publicKey)) };
  } finally {
    transport.close();
  }
}
