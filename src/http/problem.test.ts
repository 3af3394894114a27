import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitOutcomeUnknownError } from '../store/db.ts';
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

test('a commit whose outcome is unknown is a 503 that tells the client to look before it retries', () => {
  const cause = new CommitOutcomeUnknownError('7421', Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }));
  const { problem, error, internal } = toProblem(cause);
  assert.equal(internal, false);
  assert.equal(problem.status, 503);
  assert.equal(problem.type, 'urn:certainty:error:unavailable');
  assert.equal(error.retryAfter, DATABASE_RETRY_AFTER_SECONDS);
  assert.match(problem.detail, /whether it took effect is not known/);
  assert.doesNotMatch(problem.detail, /7421/, 'the transaction id stays in the log');
});
