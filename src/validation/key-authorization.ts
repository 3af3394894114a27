import { createHash } from 'node:crypto';

/** Key authorization for a challenge token: token || '.' || base64url(JWK thumbprint) (RFC 8555 §8.1). */
export function keyAuthorization(token: string, jwkThumbprint: string): string {
  return `${token}.${jwkThumbprint}`;
}

/** The dns-01 TXT record value: base64url(SHA-256(key authorization)) (RFC 8555 §8.4). */
export function dns01TxtValue(keyAuth: string): string {
  return createHash('sha256').update(keyAuth, 'utf8').digest('base64url');
}
