import type { AcmeSettings } from '../acme/settings.ts';
import type { Config } from './schema.ts';

const DAY_MS = 86_400_000;

/** The slice of the config the ACME layer reads, in the units it uses. */
export function acmeSettings(config: Config): AcmeSettings {
  return {
    termsOfService: config.acme.termsOfService,
    website: config.acme.website,
    caaIdentities: config.acme.caaIdentities,
    externalAccountRequired: config.acme.externalAccountRequired,
    orderLifetimeMs: config.acme.orderLifetimeSeconds * 1000,
    retryAfterSeconds: config.acme.retryAfterSeconds,
    challengeWaitMs: config.acme.challengeWaitMs,
    ariWindowPercent: config.acme.ariWindowPercent,
    defaultValidityMs: config.policy.defaultValidityDays * DAY_MS,
    maxValidityMs: config.policy.maxValidityDays * DAY_MS,
    maxBackdateMs: config.policy.maxBackdateSeconds * 1000,
    key: { allowEc: config.policy.allowedCurves, minRsaBits: config.policy.minRsaBits, maxRsaBits: config.policy.maxRsaBits },
    rateLimits: config.rateLimits,
    validationTimeoutMs: config.validation.timeoutMs,
  };
}
