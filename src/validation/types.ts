/** Shapes shared by the challenge validators. */

/** An identifier being validated (RFC 8555 §9.7.7, RFC 8738 for `ip`). */
export interface ValidationIdentifier {
  type: 'dns' | 'ip';
  value: string;
}

/** What every validator needs: the identifier, the challenge token and the expected key authorization. */
export interface ChallengeInput {
  identifier: ValidationIdentifier;
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
