import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.ts';
import { joinHostPort, reverseDnsName, tryEachAddress, type DialPlan } from './address.ts';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from './egress.ts';

const open: DialPlan = { egress: new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: true }), where: (a) => `${a}:80: Fetching x` };

test('reverseDnsName gives the in-addr.arpa and nibble ip6.arpa forms (RFC 8738 §6)', () => {
  assert.equal(reverseDnsName('192.0.2.10'), '10.2.0.192.in-addr.arpa');
  // RFC 3596 §2.5's example.
  assert.equal(
    reverseDnsName('4321:0:1:2:3:4:567:89ab'),
    'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa',
  );
  assert.equal(reverseDnsName('::1'), `1${'.0'.repeat(31)}.ip6.arpa`);
});

test('joinHostPort brackets IPv6 only', () => {
  assert.equal(joinHostPort('127.0.0.1', 80), '127.0.0.1:80');
  assert.equal(joinHostPort('::1', 443), '[::1]:443');
});

test('tryEachAddress tries the first IPv4 then the first IPv6 address on connection failures', async () => {
  const tried: string[] = [];
  const result = await tryEachAddress(['::1', '::2', '192.0.2.1', '192.0.2.2'], open, async (address) => {
    tried.push(address);
    if (address === '192.0.2.1') throw new AppError('connection', 'refused');
    return address;
  });
  assert.equal(result, '::1');
  assert.deepEqual(tried, ['192.0.2.1', '::1']);
});

test('tryEachAddress stops at a failure that is not about connecting', async () => {
  const tried: string[] = [];
  const attempt = async (address: string): Promise<never> => {
    tried.push(address);
    throw new AppError('unauthorized', 'wrong');
  };
  await assert.rejects(tryEachAddress(['192.0.2.1', '::1'], open, attempt), { code: 'unauthorized' });
  assert.deepEqual(tried, ['192.0.2.1']);
});

test('tryEachAddress reports the IPv4 failure when every address fails', async () => {
  const attempt = async (address: string): Promise<never> => {
    throw new AppError('connection', `refused ${address}`);
  };
  await assert.rejects(tryEachAddress(['::1', '192.0.2.1'], open, attempt), { detail: 'refused 192.0.2.1' });
});

test('tryEachAddress skips addresses the egress policy refuses, and names one when it refuses all', async () => {
  const tried: string[] = [];
  const attempt = async (address: string): Promise<string> => {
    tried.push(address);
    return address;
  };
  // The first A record is the metadata address: the next one is used instead.
  assert.equal(await tryEachAddress(['169.254.169.254', '192.0.2.1'], open, attempt), '192.0.2.1');
  await assert.rejects(tryEachAddress(['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254'], open, attempt), {
    code: 'connection',
    detail: '169.254.169.254:80: Fetching x: Refused to connect: it is in a range validation does not connect to (validation.egress.deny)',
  });
  assert.deepEqual(tried, ['192.0.2.1']);
});
