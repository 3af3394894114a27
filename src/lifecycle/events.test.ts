import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { managedExpiring } from './conditions.ts';
import { daysLeft, expiringThreshold, type LifecycleCondition } from './events.ts';

const DAY = 86_400_000;
const ninetyDays = { notBefore: 0, notAfter: 90 * DAY };

test('expiring: the tightest of 30, 14, 7 and 1 days left, nothing before 30', () => {
  const at = (left: number): number | undefined => expiringThreshold(ninetyDays, ninetyDays.notAfter - left * DAY);
  assert.equal(at(45), undefined);
  assert.equal(at(30.5), undefined);
  assert.equal(at(30), 30);
  assert.equal(at(20), 30);
  assert.equal(at(14), 14);
  assert.equal(at(8), 14);
  assert.equal(at(7), 7);
  assert.equal(at(2), 7);
  assert.equal(at(1), 1);
  assert.equal(at(0.2), 1);
  assert.equal(at(-3), 1, 'expired stays at the last threshold');
  assert.equal(daysLeft(ninetyDays.notAfter, ninetyDays.notAfter - 2.5 * DAY), 2);
});

test('expiring: a threshold counts only under half the lifetime, so short-lived certificates are not always "expiring"', () => {
  const sevenDays = { notBefore: 0, notAfter: 7 * DAY };
  assert.equal(expiringThreshold(sevenDays, 1 * DAY), undefined, '6 days left of 7: not expiring');
  assert.equal(expiringThreshold(sevenDays, 6.5 * DAY), 1);
  const twentySeconds = { notBefore: 0, notAfter: 20_000 };
  assert.equal(expiringThreshold(twentySeconds, 19_000), undefined);
});

test('the lifecycle duty raises one expiring condition per certificate at its threshold, with an injected clock', async () => {
  const raised: LifecycleCondition[] = [];
  const store = {
    currentExpiries: async () => [
      { name: 'web', serial: '01', ...ninetyDays },
      { name: 'api', serial: '02', notBefore: 0, notAfter: 120 * DAY },
    ],
    raise: async (c: LifecycleCondition) => {
      raised.push(c);
    },
  };
  const now = 80 * DAY; // web: 10 days left; api: 40 days left.
  assert.equal(await managedExpiring(store, now), 1);
  assert.equal(raised.length, 1);
  assert.deepEqual({ kind: raised[0]?.kind, subject: raised[0]?.subject, threshold: raised[0]?.threshold }, { kind: 'expiring', subject: 'managed:web', threshold: 14 });
  assert.match(raised[0]?.detail ?? '', /serial 01, 10 day\(s\) left/);
});
