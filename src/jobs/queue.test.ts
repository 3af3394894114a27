import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobFailure, type Job } from './queue.ts';

const job = (attempts: number, maxAttempts = 5): Job => ({ id: 'j', kind: 'k', payload: {}, attempts, maxAttempts, fairKey: null });

test('a failed attempt backs off exponentially up to ten minutes, and the last one is final', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => jobFailure(job(n), 'x').retryInMs), [1000, 2000, 4000, 8000]);
  assert.equal(jobFailure(job(20, 30), 'x').retryInMs, 600_000);
  assert.deepEqual([4, 5].map((n) => jobFailure(job(n), 'x').final), [false, true]);
  assert.equal(jobFailure(job(1), 'e'.repeat(5000)).error.length, 2000, 'the kept error is bounded');
});
