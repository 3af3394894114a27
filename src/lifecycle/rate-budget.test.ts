import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../errors.ts';
import { orderBudget, parseRateLimit, RateBudgetWait, rateLimitText } from './rate-budget.ts';
import { statusLine } from './status.ts';
import type { ManagedCertificate } from './types.ts';

test('a rate limit is ORDERS/PERIOD, checked, and defaults to 300 per 3 h', () => {
  assert.deepEqual(parseRateLimit('300/3h'), { orders: 300, per: '3h' });
  assert.deepEqual(orderBudget(parseRateLimit(' 50 / 1h30m ')), { orders: 50, perMs: 5_400_000 });
  assert.deepEqual(orderBudget(undefined), { orders: 300, perMs: 10_800_000 });
  assert.equal(rateLimitText(undefined), '300 orders per 3h (default)');
  for (const bad of ['300', '0/3h', '300/soon', '-1/1h', '5/500ms']) {
    assert.throws(() => parseRateLimit(bad), (err: unknown) => isAppError(err) && err.code === 'malformed' && /e\.g\. 300\/3h|duration/.test(err.detail), bad);
  }
});

test('a renewal waiting for the budget says so, with the next slot, and is no failure', () => {
  const cert = {
    name: 'web', issuer: 'le', currentRevision: 1, renewalSeq: 3, nextRenewalAt: 720_000, renewalRule: 'rate-budget', ari: undefined, ariPollAt: undefined,
    failures: 0, lastOutcome: 'renewed', lastDetail: 'revision 1 issued', lastAttemptAt: 0, pendingOrderUrl: undefined, createdAt: 0, version: 4,
    spec: { names: ['a.test'], keyType: 'ecdsa-p256', reuseKey: false, revisionLimit: 5, solver: { type: 'http-01' }, targets: [], policy: { renewWhenLeft: 1 / 3, validityDays: 90 } },
  } as ManagedCertificate;
  assert.equal(statusLine(cert, undefined, 0), "waiting for the issuer's rate budget: next slot in 12 min");
  assert.equal(new RateBudgetWait('le', 720_000).message, "waiting for the issuer's rate budget: next slot in 12 min");
});
