import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { capabilitiesOn, globMatches, parseRules, requireCapability } from './policy.ts';

test('globs: * stays within a segment, ** crosses segments, other characters are literal', () => {
  assert.ok(globMatches('cluster/*', 'cluster/db'));
  assert.ok(!globMatches('cluster/*', 'cluster/db/password'));
  assert.ok(globMatches('cluster/**', 'cluster/db/password'));
  assert.ok(!globMatches('cluster/**', 'clusterx/db'));
  assert.ok(globMatches('*/db', 'prod/db'));
  assert.ok(!globMatches('a.b', 'aXb'));
  assert.ok(globMatches('a+b=c', 'a+b=c'));
});

test('capabilities: union of matching rules, deny wins', () => {
  const rules = parseRules([
    { path: 'cluster/**', capabilities: ['read', 'list'] },
    { path: 'cluster/db/*', capabilities: ['update'] },
    { path: 'cluster/root/**', capabilities: ['deny'] },
  ]);
  assert.deepEqual([...capabilitiesOn(rules, 'cluster/db/password')].sort(), ['list', 'read', 'update']);
  assert.deepEqual([...capabilitiesOn(rules, 'cluster/root/key')], []);
  assert.deepEqual([...capabilitiesOn(rules, 'other/x')], []);
  const machine = { actor: 'token:abc', tokenId: 'abc', admin: false };
  assert.doesNotThrow(() => requireCapability(machine, rules, 'read', 'cluster/x'));
  assert.throws(() => requireCapability(machine, rules, 'destroy', 'cluster/x'), /may not destroy cluster\/x/);
  assert.doesNotThrow(() => requireCapability({ ...machine, admin: true }, [], 'destroy', 'x'));
});

test('rules: unknown capabilities and bad globs are refused with the rule named', () => {
  assert.throws(() => parseRules([]), /non-empty list/);
  assert.throws(() => parseRules([{ path: 'a/**', capabilities: ['sudo'] }]), /rules\[0\]: unknown capability "sudo"/);
  assert.throws(() => parseRules([{ path: 'a/../b', capabilities: ['read'] }]), /"\." or "\.\." segment/);
  assert.throws(() => parseRules([{ path: 'a b', capabilities: ['read'] }]), /rules\[0\]\.path/);
  assert.throws(() => parseRules([{ path: 'a', capabilities: [] }]), /capabilities must be/);
});
