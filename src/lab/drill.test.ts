import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTuning } from '../cli/lab-commands.ts';
import { orderId } from './drill-checks.ts';
import { commonCriteria, within } from './drill-context.ts';
import { every, OutageMeter, Timeline } from './drill-probes.ts';
import { SCENARIOS, selectScenarios } from './drill.ts';
import { emptyFigures } from './report.ts';

test('OutageMeter: the longest run of failures, from the first failed attempt to the next success', () => {
  const m = new OutageMeter();
  m.record(true, 1_000);
  m.record(false, 1_100);
  m.record(false, 1_200);
  m.record(true, 1_450);
  m.record(false, 2_000);
  m.record(true, 2_100);
  assert.equal(m.longestMs(3_000), 350);
  assert.deepEqual(m.worst, { from: 1_100, to: 1_450 });
  assert.equal(m.attempts, 6);
  assert.equal(m.failures, 3);
  assert.equal(m.lastOkAt, 2_100);
  // An outage still going when the scenario ends counts up to the end.
  m.record(false, 4_000);
  assert.equal(m.longestMs(5_000), 1_000);
});

test('Timeline buckets by second from its start and fills the gaps', () => {
  const t = new Timeline(10_000);
  t.bucket(10_100).requests += 1;
  t.bucket(12_900).errors += 1;
  t.event('fault', 'x', 11_500);
  assert.deepEqual(t.seconds().map((b) => [b.second, b.requests, b.errors]), [[0, 1, 0], [1, 0, 0], [2, 0, 1]]);
  assert.deepEqual(t.events, [{ atMs: 1_500, kind: 'fault', label: 'x' }]);
});

test('every() abandons a hung tick and still stops', async () => {
  let ticks = 0;
  const loop = every(10, async () => {
    ticks += 1;
    await new Promise(() => undefined);
  }, 50);
  await new Promise((r) => setTimeout(r, 200));
  await loop.stop();
  assert.ok(ticks >= 2, `ticks ${ticks}`);
});

test('scenario selection: all, a subset in canonical order, and a clear error for a typo', () => {
  assert.equal(selectScenarios(['all']).length, SCENARIOS.length);
  assert.deepEqual(selectScenarios(['pg-kill', 'node-kill']).map((s) => s.name), ['node-kill', 'pg-kill']);
  assert.throws(() => selectScenarios(['node-kil']), /unknown scenario node-kil: choose from node-kill, .* or all/);
  assert.equal(new Set(SCENARIOS.map((s) => s.name)).size, SCENARIOS.length);
});

test('criteria: a timing not reached fails, counts must be zero, and the common ones hold the load to account', () => {
  assert.deepEqual(within('t', null, 3_000), { name: 't', target: 'at most 3 s', measured: 'not reached', pass: false });
  assert.equal(within('t', 2_999, 3_000).pass, true);
  assert.equal(within('t', 3_001, 3_000).pass, false);
  const f = { ...emptyFigures(), ordersCompleted: 5, ordersAfterRecovery: 2 };
  assert.ok(commonCriteria(f).every((c) => c.pass));
  assert.ok(!commonCriteria({ ...f, ordersLost: 1 }).every((c) => c.pass));
  assert.ok(!commonCriteria({ ...f, ordersAfterRecovery: 0 }).every((c) => c.pass), 'orders before the fault only do not count');
});

test('lab --tune: known keys and integers only, and Patroni\'s timing rule', () => {
  assert.deepEqual(parseTuning(['leaseTtlMs=5000', 'drainDelayMs=0']), { leaseTtlMs: 5000, drainDelayMs: 0 });
  assert.throws(() => parseTuning(['leaseTTL=5000']), /unknown key; known: leaseTtlMs/);
  assert.throws(() => parseTuning(['leaseTtlMs=fast']), /expected leaseTtlMs=<integer of at least 3000>/);
  assert.throws(() => parseTuning(['patroniTtl=6']), /expected patroniTtl=<integer of at least 7>/);
  assert.throws(() => parseTuning(['patroniRetryTimeout=10']), /loop_wait|patroniLoopWait \+ 2 × patroniRetryTimeout <= patroniTtl/);
});

test('orderId takes the last path segment of an order URL', () => {
  assert.equal(orderId('http://127.0.0.1:25460/acme/order/abc123'), 'abc123');
});
