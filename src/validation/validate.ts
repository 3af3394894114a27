import { validateDns01 } from './dns-01.ts';
import { validateHttp01 } from './http-01.ts';
import { createResolver, type ValidationResolver } from './resolver.ts';
import type { ValidationSettings } from './settings.ts';
import { validateTlsAlpn01 } from './tls-alpn-01.ts';
import type { ChallengeInput, ChallengeType, ValidationRecord } from './types.ts';

/**
 * Runs one validation attempt. Resolves with the record to store on the challenge; rejects with an
 * AppError whose code and detail become the challenge's `error` (RFC 8555 §8.2).
 */
function validateChallenge(
  type: ChallengeType,
  input: ChallengeInput,
  settings: ValidationSettings,
  resolver: ValidationResolver,
): Promise<ValidationRecord> {
  switch (type) {
    case 'http-01':
      return validateHttp01(input, settings, resolver);
    case 'dns-01':
      return validateDns01(input, settings, resolver);
    case 'tls-alpn-01':
      return validateTlsAlpn01(input, settings, resolver);
  }
}

/** Performs challenge validations with one resolver built from the settings. */
export interface Validator {
  validate(type: ChallengeType, input: ChallengeInput): Promise<ValidationRecord>;
}

/** A Validator holding one resolver, so every validation shares its DNS configuration. */
export function createValidator(settings: ValidationSettings): Validator {
  const resolver = createResolver(settings);
  return { validate: (type, input) => validateChallenge(type, input, settings, resolver) };
}
