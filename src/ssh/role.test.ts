import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedPrincipals, inAllowedDomains, parseRole } from './role.ts';

test('a user role gets ssh-keygen\'s default extensions, 8h/24h lifetimes and RSA ≥ 3072', () => {
  const role = parseRole('dev', { principals: ['alice'] });
  assert.deepEqual(role.defaultExtensions, ['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc']);
  assert.deepEqual([role.ttlMs, role.maxTtlMs, role.minRsaBits], [8 * 3_600_000, 86_400_000, 3072]);
});

test('roles that could sign for everyone or beyond their limits are refused', () => {
  assert.throws(() => parseRole('dev', { principals: [] }), /at least one principal/);
  assert.throws(() => parseRole('dev', { principals: ['*'] }), /"\*" is not a principal/);
  assert.throws(() => parseRole('h', { kind: 'host' }), /allowedDomains/);
  assert.throws(() => parseRole('dev', { principals: ['a'], ttl: '2d', maxTtl: '1d' }), /at most "maxTtl"/);
  assert.throws(() => parseRole('dev', { principals: ['a'], allowedExtensions: ['permit-all'] }), /unknown extension "permit-all"/);
  assert.throws(() => parseRole('dev', { principals: ['a'], criticalOptions: { 'no-such': 'x' } }), /unknown critical option/);
  assert.throws(() => parseRole('dev', { principals: ['a'], minRsaBits: 1024 }), /at least 2048/);
  assert.throws(() => parseRole('Bad Name', { principals: ['a'] }), /role name/);
});

test('principal templates name the requesting token; host domains match the domain and below it only', () => {
  const role = parseRole('dev', { principals: ['{{token.name}}', 'deploy'] });
  assert.deepEqual(allowedPrincipals(role, { tokenId: 'abc', tokenName: 'ci', admin: false, actor: 'token:abc' }), ['ci', 'deploy']);
  const hosts = parseRole('h', { kind: 'host', allowedDomains: ['Example.com'] });
  assert.ok(inAllowedDomains(hosts, 'web1.example.com'));
  assert.ok(inAllowedDomains(hosts, 'example.com'));
  assert.ok(!inAllowedDomains(hosts, 'badexample.com'));
});
