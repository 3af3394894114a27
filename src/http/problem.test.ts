import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATABASE_RETRY_AFTER_SECONDS, toProblem } from './problem.ts';

test('a database that takes no writes (standby 25006, refused connection) is a retryable 503 unavailable, not serverInternal', () => {
  for (const code of ['25006', 'ECONNREFUSED', 'CONNECTION_CLOSED']) {
    const cause = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code });
    const { problem, error, internal } = toProblem(cause);
    assert.equal(internal, false, code);
    assert.equal(problem.status, 503);
    assert.equal(problem.type, 'urn:certainty:error:unavailable');
    assert.equal(error.retryAfter, DATABASE_RETRY_AFTER_SECONDS);
    assert.doesNotMatch(problem.detail, /read-only transaction/, 'the driver message stays in the log');
  }
  assert.equal(toProblem(Object.assign(new Error('x'), { code: '23505' })).problem.status, 500, 'other database errors stay internal');
});
