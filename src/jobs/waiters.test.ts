import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Waiters } from './waiters.ts';

test('a waiter is released by its key, and times out otherwise', async () => {
  // Waiter timers do not hold the process open; this interval stands in for a serving node.
  const alive = setInterval(() => undefined, 1000);
  const w = new Waiters();
  const started = Date.now();
  const released = w.wait('a', 5000);
  const other = w.wait('b', 50);
  w.release('a');
  await released;
  assert.ok(Date.now() - started < 1000, 'released before its timeout');
  await other;
  assert.ok(Date.now() - started >= 45, 'an unreleased waiter waits for its timeout');
  await w.wait('c', 0);
  clearInterval(alive);
});
