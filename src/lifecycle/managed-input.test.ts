import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManagedInput } from './managed-input.ts';
import { solverView } from './solvers.ts';

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

test('an RFC 2136 solver answers dns-01 for wildcards; only the sealed TSIG secret is kept, and readers see neither', () => {
  const rfc2136 = { server: '127.0.0.1', port: 5353, keyName: 'certainty.', keySecret: Buffer.alloc(32, 1).toString('base64') };
  const sealed: Array<[string, string]> = [];
  const seal = (secret: Buffer, name: string): string => {
    sealed.push([secret.toString('base64'), name]);
    return 'c2VhbGVk';
  };
  const { spec } = parseManagedInput({ name: 'w', issuer: 'le', names: ['*.a.test', 'a.test'], solver: { type: 'dns-01', rfc2136 } }, seal);
  assert.deepEqual(sealed, [[rfc2136.keySecret, 'w']]);
  assert.deepEqual(spec.solver, { type: 'dns-01', rfc2136: { server: '127.0.0.1', port: 5353, keyName: 'certainty.', keyAlgorithm: 'hmac-sha256', keySecretWrapped: 'c2VhbGVk' } });
  assert.equal(JSON.stringify(solverView(spec.solver)).includes('keySecret'), false);
  const refused = (solver: unknown, pattern: RegExp): void =>
    assert.throws(() => parseManagedInput({ name: 'w', issuer: 'le', names: ['a.test'], solver }, seal), (err: Error & { detail?: string }) => pattern.test(err.detail ?? err.message));
  refused({ type: 'dns-01', rfc2136: { ...rfc2136, keySecret: 'not base64!' } }, /TSIG secret must be base64/);
  refused({ type: 'dns-01', rfc2136: { ...rfc2136, keyAlgorithm: 'hmac-md5' } }, /keyAlgorithm/);
  refused({ type: 'dns-01', rfc2136: { ...rfc2136, server: 'a b' } }, /DNS server must be/);
  refused({ type: 'dns-01', rfc2136: { ...rfc2136, server: '127.0.0.1:5353' } }, /give its port as "port"/);
  assert.throws(() => parseManagedInput({ name: 'w', issuer: 'le', names: ['a.test'], solver: { type: 'dns-01', rfc2136 } }), /needs the KEK/);
});
