import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MaintenanceWindow } from './types.ts';
import { inMaintenanceWindow, nextWindowOpening } from './window.ts';

// 2026-03-06 is a Friday.
const at = (iso: string): Date => new Date(`2026-03-${iso}Z`);
const w = (window: MaintenanceWindow) => ({ window });

test('a target without a window may always be deployed', () => {
  assert.equal(inMaintenanceWindow({}, at('06T12:00:00')), true);
});

test('a same-day window includes its start minute and excludes its end minute, on the named days only', () => {
  const spec = w({ days: ['sat', 'sun'], start: '02:00', end: '04:00' });
  assert.equal(inMaintenanceWindow(spec, at('07T02:00:00')), true);
  assert.equal(inMaintenanceWindow(spec, at('07T03:59:59')), true);
  assert.equal(inMaintenanceWindow(spec, at('07T04:00:00')), false);
  assert.equal(inMaintenanceWindow(spec, at('07T01:59:59')), false);
  assert.equal(inMaintenanceWindow(spec, at('06T03:00:00')), false, 'Friday is not named');
  assert.equal(inMaintenanceWindow(spec, at('08T03:00:00')), true, 'Sunday');
});

test('a window crossing midnight belongs to the day it opens', () => {
  const spec = w({ days: ['fri'], start: '22:00', end: '02:00' });
  assert.equal(inMaintenanceWindow(spec, at('06T22:30:00')), true, 'Friday evening');
  assert.equal(inMaintenanceWindow(spec, at('07T01:30:00')), true, 'Saturday morning, opened Friday');
  assert.equal(inMaintenanceWindow(spec, at('07T02:00:00')), false);
  assert.equal(inMaintenanceWindow(spec, at('06T01:30:00')), false, 'Friday morning belongs to Thursday');
  assert.equal(inMaintenanceWindow(spec, at('07T22:30:00')), false, 'Saturday evening');
  assert.equal(inMaintenanceWindow(w({ start: '23:00', end: '01:00' }), at('04T00:10:00')), true, 'every day');
});

test('nextWindowOpening finds the next opening minute, or now when open', () => {
  const spec = w({ days: ['sun'], start: '03:15', end: '03:45' });
  assert.equal(nextWindowOpening(spec, at('06T12:00:30')).toISOString(), '2026-03-08T03:15:00.000Z');
  assert.equal(nextWindowOpening(spec, at('08T03:20:00')).toISOString(), '2026-03-08T03:20:00.000Z');
  assert.equal(nextWindowOpening({}, at('06T12:00:30')).toISOString(), '2026-03-06T12:00:30.000Z');
});
