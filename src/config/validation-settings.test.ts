import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './load.ts';
import { accountUriMatcher, loopbackAllowed } from './validation-settings.ts';

const config = (env: Record<string, string>) => loadConfig({ env: { CERTAINTY_DATA_DIR: '/tmp/unused', ...env } });

test('loopback "auto" allows loopback only when the ACME API is reachable from this machine alone', () => {
  assert.equal(loopbackAllowed(config({})), true, 'default listener 127.0.0.1 (the quick start)');
  assert.equal(loopbackAllowed(config({ CERTAINTY_LISTEN: '[::1]:8443' })), true);
  assert.equal(loopbackAllowed(config({ CERTAINTY_EXTERNAL_URL: 'https://localhost:8443' })), true);
  assert.equal(loopbackAllowed(config({ CERTAINTY_LISTEN: '0.0.0.0:8443' })), false);
  assert.equal(loopbackAllowed(config({ CERTAINTY_LISTEN: '192.0.2.10:443' })), false);
  // Behind a reverse proxy on the same machine: clients come from anywhere.
  assert.equal(loopbackAllowed(config({ CERTAINTY_EXTERNAL_URL: 'https://ca.example.com' })), false);
});

test('loopback "auto" denies loopback behind a proxy on this machine even without externalUrl', () => {
  // HAProxy or nginx on this host in front of 127.0.0.1:8443: a remote client could point its DNS at 127.0.0.1.
  assert.equal(loopbackAllowed(config({ CERTAINTY_TRUSTED_PROXIES: '127.0.0.1' })), false, 'trusted proxies');
  assert.equal(loopbackAllowed(config({ CERTAINTY_TLS_NAMES: 'ca.example.com,localhost' })), false, 'a public TLS name');
  assert.equal(loopbackAllowed(config({ CERTAINTY_TLS_NAMES: 'localhost,ca.localhost,127.0.0.2,::1' })), true, 'loopback TLS names only');
});

test('loopback "allow" and "deny" decide alone', () => {
  assert.equal(loopbackAllowed(config({ CERTAINTY_LISTEN: '0.0.0.0:8443', CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'allow' })), true);
  assert.equal(loopbackAllowed(config({ CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'deny' })), false);
  assert.throws(() => config({ CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'sometimes' }), /validation\.egress\.loopback/);
  assert.throws(() => config({ CERTAINTY_VALIDATION_EGRESS_DENY: '169.254.0.0/99' }), /validation\.egress\.deny/);
  assert.throws(() => loadConfig({ env: {}, overrides: [['acme.caaIdentities', 'ca.example.com;x']] }), /acme\.caaIdentities\.0: expected an issuer domain name/);
});

test('accounturi matches the account URL as this server writes it', () => {
  const local = accountUriMatcher(config({ CERTAINTY_LISTEN: '127.0.0.1:8443' }));
  assert.equal(local('https://127.0.0.1:8443/acme/account/abc', 'abc'), true);
  assert.equal(local('https://localhost:9000/acme/account/abc', 'abc'), true, 'any served host, any port');
  assert.equal(local('https://127.0.0.1:8443/acme/account/abd', 'abc'), false);
  assert.equal(local('https://evil.example/acme/account/abc', 'abc'), false);
  assert.equal(local('http://127.0.0.1:8443/acme/account/abc', 'abc'), false);
  assert.equal(local('https://127.0.0.1:8443/acme/account/abc/', 'abc'), false);
  const external = accountUriMatcher(config({ CERTAINTY_EXTERNAL_URL: 'https://ca.example.com/' }));
  assert.equal(external('https://ca.example.com/acme/account/abc', 'abc'), true);
  assert.equal(external('https://127.0.0.1:8443/acme/account/abc', 'abc'), false);
});
