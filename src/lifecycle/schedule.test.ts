import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ariRenewalTime, backoffMs, keepsChosenTime, nextAriPoll, policyRenewalTime, stableUnit } from './schedule.ts';

const DAY = 86_400_000;

test('the policy renews when a third of the lifetime is left, moved earlier by at most a tenth of that', () => {
  const cert = { notBefore: 0, notAfter: 90 * DAY };
  for (const seed of ['a', 'b', 'c', 'd']) {
    const t = policyRenewalTime(cert, 1 / 3, seed);
    assert.ok(t <= 60 * DAY && t >= 60 * DAY - 3 * DAY, `${t / DAY} days`);
  }
  assert.equal(policyRenewalTime(cert, 1 / 3, 'x'), policyRenewalTime(cert, 1 / 3, 'x'), 'stable per certificate');
  assert.notEqual(stableUnit('x'), stableUnit('y'));
});

test('ARI picks a time inside the window, now when the window is past, and keeps a chosen time still inside', () => {
  assert.equal(ariRenewalTime({ start: 100, end: 200 }, 0.5, 0), 150);
  assert.equal(ariRenewalTime({ start: 100, end: 200 }, 0.5, 300), 300);
  assert.equal(ariRenewalTime({ start: 100, end: 200 }, 0, 150), 150, 'never before now');
  assert.ok(keepsChosenTime({ start: 0, end: 0, chosen: 150 }, { start: 100, end: 200 }));
  assert.ok(!keepsChosenTime({ start: 0, end: 0, chosen: 50 }, { start: 100, end: 200 }));
  assert.ok(!keepsChosenTime(undefined, { start: 100, end: 200 }));
});

test('ARI polls as Retry-After says, clamped to a minute and the configured longest wait', () => {
  assert.equal(nextAriPoll(0, 1000, 5, DAY), 60_000);
  assert.equal(nextAriPoll(0, 3 * DAY, 5, DAY), DAY);
  assert.equal(nextAriPoll(0, undefined, 6 * 3_600_000, DAY), 6 * 3_600_000);
  assert.equal(nextAriPoll(0, 6 * 3_600_000, 5, 2000), 2000, 'an operator may ask more often');
});

test('failures back off: transient seconds to minutes, hard minutes to hours, capped by the time left', () => {
  assert.equal(backoffMs('transient', 1, undefined), 5_000);
  assert.equal(backoffMs('transient', 3, undefined), 20_000);
  assert.equal(backoffMs('transient', 30, undefined), 600_000);
  assert.equal(backoffMs('hard', 1, undefined), 300_000);
  assert.equal(backoffMs('hard', 30, undefined), 6 * 3_600_000);
  assert.equal(backoffMs('hard', 30, 4 * 3_600_000), 3_600_000, 'a quarter of the time left');
  assert.equal(backoffMs('hard', 1, 1000), 5_000, 'at least 5 s');
});
