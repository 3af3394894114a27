import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { validateDns01 } from './dns-01.ts';
import { dns01TxtValue } from './key-authorization.ts';
import { createResolver } from './resolver.ts';
import type { ValidationSettings } from './settings.ts';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from './egress.ts';
import { startTestDnsServer, type TestDnsServer } from '../lab/dns-server.ts';

const T = { timeout: 5_000 };
/** The responders here listen on 127.0.0.1; everything else as by default. */
const LOOPBACK_ALLOWED = new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: true });
const KEY_AUTH = 'token.thumbprint';
const EXPECTED = dns01TxtValue(KEY_AUTH);

describe('validateDns01', () => {
  let dns: TestDnsServer;
  let settings: ValidationSettings;
  before(async () => {
    dns = await startTestDnsServer({ 'example.test': { A: ['127.0.0.1'] } });
    settings = { dnsServer: dns.address, http01Port: 80, tlsAlpn01Port: 443, timeoutMs: 2_000, egress: LOOPBACK_ALLOWED };
  });
  after(() => dns.close());

  const validate = (value: string, type: 'dns' | 'ip' = 'dns') =>
    validateDns01({ identifier: { type, value }, keyAuthorization: KEY_AUTH }, settings, createResolver(settings));

  test('passes when one of several TXT records matches', T, async () => {
    dns.set('_acme-challenge.example.test', { TXT: ['unrelated', EXPECTED] });
    assert.deepEqual(await validate('example.test'), { hostname: 'example.test' });
  });

  test('joins the character-strings of a split record', T, async () => {
    dns.set('_acme-challenge.split.test', { TXT: [[EXPECTED.slice(0, 10), EXPECTED.slice(10)]] });
    assert.deepEqual(await validate('split.test'), { hostname: 'split.test' });
  });

  test('a wildcard is validated at the base domain', T, async () => {
    dns.set('_acme-challenge.wild.test', { TXT: [EXPECTED] });
    assert.deepEqual(await validate('*.wild.test'), { hostname: 'wild.test' });
  });

  test('wrong values are incorrectResponse, counting the records found', T, async () => {
    dns.set('_acme-challenge.wrong.test', { TXT: ['nope', 'also-nope', 'still-no'] });
    await assert.rejects(validate('wrong.test'), {
      code: 'incorrectResponse',
      detail: 'Incorrect TXT record "nope" (and 2 more) found at _acme-challenge.wrong.test',
    });
  });

  test('a name without TXT records is incorrectResponse', T, async () => {
    dns.set('_acme-challenge.none.test', { A: ['127.0.0.1'] });
    await assert.rejects(validate('none.test'), {
      code: 'incorrectResponse',
      detail: 'No TXT record found at _acme-challenge.none.test',
    });
  });

  test('NXDOMAIN is a dns problem', T, async () => {
    await assert.rejects(validate('missing.test'), {
      code: 'dns',
      detail: 'DNS problem: NXDOMAIN looking up TXT for _acme-challenge.missing.test - check that a DNS record exists for this domain',
    });
  });

  test('SERVFAIL is a dns problem', T, async () => {
    dns.set('_acme-challenge.broken.test', 'servfail');
    await assert.rejects(validate('broken.test'), { code: 'dns', detail: /^DNS problem: SERVFAIL looking up TXT/ });
  });

  test('an IP identifier is malformed for dns-01', T, async () => {
    await assert.rejects(validate('127.0.0.1', 'ip'), { code: 'malformed' });
  });
});
