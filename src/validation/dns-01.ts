import { AppError } from '../errors.ts';
import { dns01TxtValue } from './key-authorization.ts';
import { sanitize } from './network-errors.ts';
import type { ValidationResolver } from './resolver.ts';
import type { ValidationSettings } from './settings.ts';
import type { ChallengeInput, ValidationRecord } from './types.ts';

/**
 * dns-01 (RFC 8555 §8.4): some TXT record at _acme-challenge.<domain> must equal
 * base64url(SHA-256(key authorization)). For a wildcard the base domain is used (§7.1.3).
 */
export async function validateDns01(
  input: Pick<ChallengeInput, 'identifier' | 'keyAuthorization'>,
  _settings: ValidationSettings,
  resolver: ValidationResolver,
): Promise<ValidationRecord> {
  const { identifier } = input;
  if (identifier.type !== 'dns') {
    throw new AppError('malformed', 'dns-01 can only validate dns identifiers (RFC 8738 §7)');
  }
  const domain = identifier.value.startsWith('*.') ? identifier.value.slice(2) : identifier.value;
  const name = `_acme-challenge.${domain}`;
  const expected = dns01TxtValue(input.keyAuthorization);
  // A TXT record may be split into several character-strings; its value is their concatenation.
  const values = (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
  if (values.includes(expected)) return { hostname: domain };
  const first = values[0];
  if (first === undefined) {
    throw new AppError('incorrectResponse', `No TXT record found at ${name}`);
  }
  const more = values.length > 1 ? ` (and ${values.length - 1} more)` : '';
  throw new AppError('incorrectResponse', `Incorrect TXT record "${sanitize(first)}"${more} found at ${name}`);
}
