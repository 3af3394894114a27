import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManagedInput } from './managed-input.ts';

test('defaults: P-256, a new key on every renewal, 5 revisions, http-01, renew with a third left', () => {
  const { spec } = parseManagedInput({ name: 'web', issuer: 'le', names: ['Example.COM', 'example.com', '10.0.0.1'] });
  assert.deepEqual(spec.names, ['example.com', '10.0.0.1']);
  assert.equal(spec.keyType, 'ecdsa-p256');
  assert.equal(spec.reuseKey, false);
  assert.equal(spec.revisionLimit, 5);
  assert.deepEqual(spec.solver, { type: 'http-01' });
  assert.equal(spec.policy.renewWhenLeft, 1 / 3);
});

test('refusals name the field and what to do', () => {
  const refused = (input: unknown, pattern: RegExp): void => assert.throws(() => parseManagedInput(input), (err: Error & { detail?: string }) => pattern.test(err.detail ?? err.message));
  refused({ name: 'Web!', issuer: 'le', names: ['a.test'] }, /managed certificate name "Web!" must be/);
  refused({ name: 'web', issuer: 'le', names: ['bad_name'] }, /neither a DNS name nor an IP address/);
  refused({ name: 'web', issuer: 'le', names: ['*.a.test'] }, /wildcard names need dns-01/);
  refused({ name: 'web', issuer: 'le', names: ['a.test'], keyType: 'rsa-1024' }, /keyType/);
  refused({ name: 'web', issuer: 'le', names: ['a.test'], renewWhenLeft: 1 }, /renewWhenLeft/);
  refused({ name: 'web', issuer: 'le', names: ['a.test'], targets: [{ type: 'file' }] }, /targets\.0/);
  refused({ name: 'web', issuer: 'le', names: ['a.test'], solver: { type: 'exec', challenge: 'dns-01', command: 'hook.sh' } }, /absolute path/);
});

test('an exec hook may answer dns-01 for wildcard names', () => {
  const { spec } = parseManagedInput({ name: 'w', issuer: 'le', names: ['*.a.test'], solver: { type: 'exec', challenge: 'dns-01', command: '/usr/local/bin/dns-hook' } });
  assert.deepEqual(spec.solver, { type: 'exec', challenge: 'dns-01', command: '/usr/local/bin/dns-hook', args: [], timeoutMs: 60_000 });
});
