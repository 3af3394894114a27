import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../errors.ts';
import { expandTargets } from './discover.ts';
import { sanNames } from './probe.ts';

const hosts = (targets: string[], max = 100): string[] => expandTargets(targets, max).map((e) => `${e.host}:${e.port}`);

test('discovery targets: hosts, addresses and ranges, network and broadcast included', () => {
  assert.deepEqual(hosts(['example.test:443', '10.0.0.7:8443', '[::1]:443']), ['example.test:443', '10.0.0.7:8443', '::1:443']);
  assert.deepEqual(hosts(['127.0.0.1/30:443']), ['127.0.0.0:443', '127.0.0.1:443', '127.0.0.2:443', '127.0.0.3:443']);
  assert.deepEqual(hosts(['10.0.0.255/31:1']), ['10.0.0.254:1', '10.0.0.255:1']);
  assert.deepEqual(hosts(['[fd00::5/127]:443']), ['fd00::4:443', 'fd00::5:443']);
});

test('discovery refuses a malformed target and a scan larger than its bound', () => {
  const refuses = (targets: string[], detail: RegExp, max = 100): void => {
    assert.throws(() => expandTargets(targets, max), (err: unknown) => err instanceof AppError && err.code === 'malformed' && detail.test(err.detail));
  };
  refuses(['example.test'], /is not host:port or range:port/);
  refuses(['10.0.0.0/33:443'], /is not a CIDR range/);
  refuses(['10.0.0.1:0'], /is not host:port/);
  refuses(['10.0.0.0/8:443'], /above 100 endpoints: narrow the range/);
  refuses(['10.0.0.0/26:443', '10.0.1.0/26:443'], /"10\.0\.1\.0\/26:443" brings the scan above 100/);
  refuses(['[::/0]:443'], /above 100 endpoints/);
});

test('sanNames reads DNS names and IP addresses from Node\'s subjectAltName text', () => {
  assert.deepEqual(sanNames('DNS:a.example, DNS:*.b.example, IP Address:127.0.0.1, IP Address:::1, email:x@y'), ['a.example', '*.b.example', '127.0.0.1', '::1']);
  assert.deepEqual(sanNames(undefined), []);
});
