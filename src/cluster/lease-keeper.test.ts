import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaseTimings } from './lease-keeper.ts';

/** The scheduler enqueues overdue duties on its next tick after taking the lease. */
const SCHEDULER_TICK_MS = 1_000;

test('lease timings keep the TTL promise: the lease is taken, and from 5 s on the duties run, within one TTL of the holder dying', () => {
  for (const ttl of [3_000, 5_000, 15_000, 60_000, 600_000]) {
    const t = leaseTimings(ttl);
    // The holder dies right after a renewal: the row lapses `validityMs` later, another node tries
    // at most `acquireEveryMs` after that.
    assert.ok(t.validityMs + t.acquireEveryMs <= ttl, `takeover within the TTL (${ttl}): ${JSON.stringify(t)}`);
    if (ttl >= 5_000) assert.ok(t.validityMs + t.acquireEveryMs + SCHEDULER_TICK_MS <= ttl, `duties within the TTL (${ttl})`);
    // Renewals: several chances before the holder stops trusting the lease, and it stops trusting
    // it before the row lapses for everyone else.
    assert.ok(t.trustMs >= 2 * t.renewEveryMs, `two renewals may fail (${ttl}): ${JSON.stringify(t)}`);
    assert.ok(t.trustMs < t.validityMs);
  }
});
