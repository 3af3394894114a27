import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.ts';
import { acceptedHost, hostPolicy } from './hosts.ts';

const policy = hostPolicy({ tlsNames: ['localhost', '127.0.0.1', '::1', '*.acme.internal'], listenHost: '10.0.0.5', publicUrl: 'https://ca.example.test:8443' });
const misdirected = (err: unknown): boolean => err instanceof AppError && err.code === 'misdirectedRequest' && err.status === 421;

test('names of the listener are accepted with any port, normalised', () => {
  assert.deepEqual(policy.names, ['localhost', '127.0.0.1', '[::1]', '*.acme.internal', '10.0.0.5', 'ca.example.test']);
  assert.equal(acceptedHost(policy, 'LOCALHOST:8443'), 'localhost:8443');
  assert.equal(acceptedHost(policy, '[::1]:1'), '[::1]:1');
  assert.equal(acceptedHost(policy, '10.0.0.5'), '10.0.0.5');
  assert.equal(acceptedHost(policy, 'ca.example.test:443'), 'ca.example.test:443');
  assert.equal(acceptedHost(policy, 'one.acme.internal'), 'one.acme.internal');
  assert.equal(acceptedHost(policy, undefined), undefined);
});

test('other hosts, userinfo, paths and deeper wildcard matches are misdirected', () => {
  for (const host of ['evil.example', 'evil.example:8443', 'evil@localhost', 'localhost/x', 'localhost?x', 'two.one.acme.internal', 'acme.internal', '*.acme.internal', 'localhost.']) {
    assert.throws(() => acceptedHost(policy, host), misdirected, host);
  }
});

test('a wildcard listen address is not a name', () => {
  const any = hostPolicy({ tlsNames: ['localhost'], listenHost: '0.0.0.0', publicUrl: 'https://localhost:8443' });
  assert.deepEqual(any.names, ['localhost']);
  assert.throws(() => acceptedHost(any, '0.0.0.0:8443'), misdirected);
});
