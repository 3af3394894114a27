import type { AcmeDeps } from '../acme/context.ts';
import { isAppError } from '../errors.ts';
import type { Validator } from '../validation/validate.ts';

/** What ACME's issuer and validator report into (src/metrics/metrics.ts implements it). */
export interface AcmeReport {
  signed(issuerId: string, purpose: 'leaf', forOrder: boolean): void;
  validated(type: string, outcome: 'valid' | 'invalid' | 'error', seconds: number): void;
}

/** ACME's certificate issuer, counting each leaf it signs for an order. */
export function countingIssuer(issuer: AcmeDeps['issuer'], report: AcmeReport): AcmeDeps['issuer'] {
  return {
    get issuerId() {
      return issuer.issuerId;
    },
    get authorityKeyId() {
      return issuer.authorityKeyId;
    },
    get notBefore() {
      return issuer.notBefore;
    },
    async sign(input) {
      const out = await issuer.sign(input);
      report.signed(issuer.issuerId, 'leaf', true);
      return out;
    },
    updateCrl: (shard) => issuer.updateCrl(shard),
  };
}

/**
 * The challenge validator, timed by challenge type. A refusal (an AppError) makes the challenge
 * invalid; any other error is an internal failure the job retries, counted apart.
 */
export function timedValidator(validator: Validator, report: AcmeReport): Validator {
  return {
    async validate(type, input) {
      const t = performance.now();
      try {
        const record = await validator.validate(type, input);
        report.validated(type, 'valid', (performance.now() - t) / 1000);
        return record;
      } catch (err) {
        report.validated(type, isAppError(err) ? 'invalid' : 'error', (performance.now() - t) / 1000);
        throw err;
      }
    },
  };
}
