import * as assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { addressGroup } from '../acme/rate-limits.ts';
import { clientAddressResolver, normalizeAddress } from './client-address.ts';

const request = (peer: string, forwardedFor?: string): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

test('addresses are normalised: IPv4-mapped IPv6 as IPv4, ports dropped, garbage refused', () => {
  assert.equal(normalizeAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeAddress(' 192.0.2.1:4711 '), '192.0.2.1');
  assert.equal(normalizeAddress('[2001:DB8::1]:4711'), '2001:db8::1');
  assert.equal(normalizeAddress('unknown'), undefined);
  assert.equal(normalizeAddress('_hidden'), undefined);
});

test('X-Forwarded-For is ignored unless the peer is a trusted proxy', () => {
  assert.equal(clientAddressResolver([])(request('::ffff:10.0.0.5', '203.0.113.9')), '10.0.0.5');
  assert.equal(clientAddressResolver(['10.1.0.0/16'])(request('10.0.0.5', '203.0.113.9')), '10.0.0.5');
});

test('from a trusted proxy, the rightmost address not itself a trusted proxy is the client', () => {
  const resolve = clientAddressResolver(['10.0.0.0/8', '2001:db8:ffff::/48']);
  assert.equal(resolve(request('10.0.0.5', '203.0.113.9')), '203.0.113.9');
  assert.equal(resolve(request('10.0.0.5', '198.51.100.1, 203.0.113.9')), '203.0.113.9', 'what the client wrote itself is ignored');
  assert.equal(resolve(request('10.0.0.5', '198.51.100.1, 203.0.113.9, 10.2.3.4')), '203.0.113.9', 'past a chain of trusted proxies');
  assert.equal(resolve(request('2001:db8:ffff::1', '2001:db8:1::7')), '2001:db8:1::7');
  assert.equal(resolve(request('10.0.0.5')), '10.0.0.5', 'no header: the proxy itself');
  assert.equal(resolve(request('10.0.0.5', 'garbage, 10.2.3.4')), '10.2.3.4', 'a hop that is no address ends the walk at the last trusted one');
});

test('new accounts are counted per IPv4 address and per IPv6 /64', () => {
  assert.equal(addressGroup('192.0.2.1'), '192.0.2.1');
  assert.equal(addressGroup('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressGroup('2001:db8:1:2::ffff'), '2001:db8:1:2::/64');
  assert.equal(addressGroup('unknown'), 'unknown');
});
