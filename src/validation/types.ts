/** Shapes shared by the challenge validators. */
import type { Identifier } from '../ca/identifier.ts';

/** The challenge types this validation authority performs (RFC 8555 §8.3–8.4, RFC 8737). */
export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';

/** What every validator needs: the identifier, the challenge token and the expected key authorization. */
export interface ChallengeInput {
  identifier: Identifier;
  token: string;
  /** token + '.' + base64url(JWK thumbprint), RFC 8555 §8.1. */
  keyAuthorization: string;
}

/**
 * One entry of a challenge's `validationRecord` (RFC 8555 §8, shaped like Boulder's and Pebble's):
 * what the server looked at when it validated, kept for audit and shown to the client.
 */
export interface ValidationRecord {
  url?: string;
  hostname?: string;
  port?: string;
  addressesResolved?: string[];
  addressUsed?: string;
}
