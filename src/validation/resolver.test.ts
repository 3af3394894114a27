import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../errors.ts';
import { createResolver, normalizeDnsServer } from './resolver.ts';
import { startTestDnsServer, type TestDnsServer } from '../lab/dns-server.ts';

const T = { timeout: 5_000 };

describe('resolver', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startTestDnsServer({
      'both.test': { A: ['127.0.0.1', '127.0.0.2'], AAAA: ['::1', '2001:db8::1:0:0:1'] },
      'v6only.test': { AAAA: ['fe80::1'] },
      'empty.test': {},
      'broken.test': 'servfail',
      'silent.test': 'drop',
      'txt.test': { TXT: [['abc', 'def'], 'x'.repeat(300)] },
    });
  });
  after(() => dns.close());

  const resolver = (timeoutMs = 2_000) => createResolver({ dnsServer: dns.address, timeoutMs });

  test('returns A addresses before AAAA addresses', T, async () => {
    assert.deepEqual(await resolver().resolveAddresses('both.test'), ['127.0.0.1', '127.0.0.2', '::1', '2001:db8::1:0:0:1']);
    assert.deepEqual(await resolver().resolveAddresses('v6only.test'), ['fe80::1']);
  });

  test('is case-insensitive and passes IP literals through', T, async () => {
    assert.deepEqual(await resolver().resolveAddresses('BOTH.test'), ['127.0.0.1', '127.0.0.2', '::1', '2001:db8::1:0:0:1']);
    assert.deepEqual(await resolver().resolveAddresses('::1'), ['::1']);
  });

  test('NXDOMAIN is a dns problem naming the record type and name', T, async () => {
    await assert.rejects(resolver().resolveAddresses('missing.test'), {
      code: 'dns',
      detail: 'DNS problem: NXDOMAIN looking up A for missing.test - check that a DNS record exists for this domain',
    });
  });

  test('a name without addresses is a dns problem', T, async () => {
    await assert.rejects(resolver().resolveAddresses('empty.test'), {
      code: 'dns',
      detail: 'DNS problem: No valid IP addresses found for empty.test',
    });
  });

  test('SERVFAIL is a dns problem', T, async () => {
    await assert.rejects(resolver().resolveAddresses('broken.test'), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'dns');
      assert.match(err.detail, /^DNS problem: SERVFAIL looking up A for broken\.test/);
      return true;
    });
  });

  test('a resolver that never answers times out within the deadline', T, async () => {
    const started = Date.now();
    await assert.rejects(resolver(400).resolveTxt('silent.test'), {
      code: 'dns',
      detail: 'DNS problem: query timed out looking up TXT for silent.test',
    });
    assert.ok(Date.now() - started < 2_000);
  });

  test('TXT records keep their character-strings; none is an empty list', T, async () => {
    const records = await resolver().resolveTxt('txt.test');
    assert.deepEqual(records[0], ['abc', 'def']);
    assert.equal(records[1]?.join(''), 'x'.repeat(300));
    assert.deepEqual(await resolver().resolveTxt('empty.test'), []);
  });
});

describe('normalizeDnsServer', () => {
  test('accepts IPv4 and bracketed IPv6 with or without a port', () => {
    assert.equal(normalizeDnsServer('127.0.0.1:8053'), '127.0.0.1:8053');
    assert.equal(normalizeDnsServer('127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeDnsServer('[::1]:53'), '[::1]:53');
    assert.equal(normalizeDnsServer('::1'), '[::1]');
  });

  test('rejects host names and bad ports with the setting named', () => {
    assert.throws(() => normalizeDnsServer('dns.example:53'), /dnsServer/);
    assert.throws(() => normalizeDnsServer('127.0.0.1:70000'), /dnsServer/);
  });
});
