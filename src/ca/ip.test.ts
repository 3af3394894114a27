import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalIp, cidrBlockList, inRanges, ipFromBytes, ipToBytes, isLoopbackIp, parseCidr } from './ip.ts';

test('canonicalIp: dotted quad and RFC 5952 compressed lowercase IPv6; rejects the rest', () => {
  assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
  assert.equal(canonicalIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIp('::'), '::');
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
  for (const bad of ['', 'example.com', '01.2.3.4', '1.2.3', '256.1.1.1', 'fe80::1%eth0', '[::1]', '1:2:3:4:5:6:7:8:9']) {
    assert.equal(canonicalIp(bad), undefined, bad);
  }
});

test('ipToBytes and ipFromBytes round-trip through canonical text', () => {
  assert.deepEqual(ipToBytes('192.0.2.1'), new Uint8Array([192, 0, 2, 1]));
  assert.deepEqual(ipToBytes('::1'), new Uint8Array([...new Array<number>(15).fill(0), 1]));
  assert.deepEqual(ipToBytes('1::'), new Uint8Array([0, 1, ...new Array<number>(14).fill(0)]));
  assert.deepEqual(ipToBytes('::ffff:1.2.3.4'), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]));
  for (const text of ['10.0.0.1', '2001:db8::1', 'fe80::1:2', '::', '1::', '::ffff:1.2.3.4', '2001:db8:1:2:3:4:5:6']) {
    assert.equal(ipFromBytes(ipToBytes(text)), text);
  }
  assert.throws(() => ipToBytes('nope'), /"nope" is not an IP address/);
  assert.throws(() => ipFromBytes(new Uint8Array(8)), /4 or 16 bytes, not 8/);
});

test('parseCidr takes addresses and ranges, refuses anything else', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  assert.deepEqual(parseCidr('fd00::1'), { address: 'fd00::1', prefix: 128, family: 'ipv6' });
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'fe80::/129', 'example.test', '1.2.3.4/8/1', '1.2.3.4/-1']) assert.equal(parseCidr(bad), undefined, bad);
});

test('cidrBlockList names the key and the bad entry; inRanges matches IPv4-mapped and refuses non-addresses', () => {
  assert.throws(() => cidrBlockList(['10.0.0.0/8', 'nope'], 'server.trustedProxies'), /server\.trustedProxies: "nope" is not an IP address or CIDR range/);
  const list = cidrBlockList(['10.0.0.0/8', '2001:db8::1'], 'test');
  for (const inside of ['10.2.3.4', '::ffff:10.2.3.4', '2001:db8::1']) assert.equal(inRanges(list, inside), true, inside);
  for (const outside of ['11.0.0.1', '2001:db8::2', 'unknown', '']) assert.equal(inRanges(list, outside), false, outside);
});

test('isLoopbackIp: 127.0.0.0/8 and ::1, also IPv4-mapped; nothing else', () => {
  for (const address of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackIp(address), true, address);
  for (const other of ['128.0.0.1', '::2', 'localhost', '']) assert.equal(isLoopbackIp(other), false, other);
});
