import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetSize, renewalLimitMs } from './drill-renewal-scenarios.ts';
import { selectScenarios } from './drill.ts';
import type { LabState } from './lab-state.ts';
import { fleetCerts, slices } from './renewal-fleet.ts';
import { emptyFigures, type Figures } from './report.ts';

const renewed = (n: number, over: Partial<Figures> = {}): Figures => ({
  ...emptyFigures(), ordersCompleted: 10, ordersAfterRecovery: 3,
  fleetSize: n, certificatesRenewed: n, renewedAllMs: 30_000, upstreamOrders: n, duplicateDeploys: 0, renewalsFailed: 0, jobsFailed: 0, ...over,
});

test('slices: consecutive, nearly equal, every item once', () => {
  assert.deepEqual(slices([1, 2, 3, 4, 5, 6, 7], 3), [[1, 2, 3], [4, 5], [6, 7]]);
  assert.deepEqual(slices([1, 2], 3), [[1], [2]]);
  assert.deepEqual(slices([], 3), [[]]);
});

test('fleetCerts: names carry the run tag, files stay in the fleet directory', () => {
  const [c] = fleetCerts('/lab/renewals', 'k2x9', 1);
  assert.deepEqual(c, { name: 'renew-k2x9-0', dnsName: 'r0.k2x9.renewals.lab.test', fullchainPath: '/lab/renewals/renew-0.pem', keyPath: '/lab/renewals/renew-0.key' });
});

test('the renewal drills run last and renew 200 certificates, 40 with --quick', () => {
  assert.deepEqual(selectScenarios(['all']).slice(-2).map((s) => s.name), ['mass-renewal', 'renewal-rolling-restart']);
  assert.equal(fleetSize(false), 200);
  assert.equal(fleetSize(true), 40);
  assert.ok(renewalLimitMs(40) < renewalLimitMs(200));
});

test('renewal criteria: all renewed in time, exactly one order each, no duplicate deploy, no failure', () => {
  const state = {} as LabState;
  for (const s of selectScenarios(['mass-renewal', 'renewal-rolling-restart'])) {
    assert.ok(s.criteria(renewed(40), state, {}).every((c) => c.pass), s.name);
    const failing = (over: Partial<Figures>): string[] => s.criteria(renewed(40, over), state, {}).filter((c) => !c.pass).map((c) => c.name);
    assert.deepEqual(failing({ upstreamOrders: 41 }), ['one upstream order per certificate']);
    assert.deepEqual(failing({ duplicateDeploys: 1 }), ['no duplicate deploy']);
    assert.deepEqual(failing({ renewalsFailed: 1 }), ['no failed renewal']);
    assert.deepEqual(failing({ certificatesRenewed: 39, renewedAllMs: null }), ['every certificate renewed, deployed and verified', 'all renewed within the limit']);
    assert.deepEqual(failing({ renewedAllMs: renewalLimitMs(40) + 1 }), ['all renewed within the limit']);
  }
});
