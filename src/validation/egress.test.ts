import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from './egress.ts';

const byDefault = new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: false });

test('the default policy refuses link-local, metadata and unspecified addresses, also IPv4-mapped', () => {
  for (const address of ['169.254.169.254', '169.254.170.2', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '::', '::ffff:169.254.169.254']) {
    assert.match(byDefault.refusal(address) ?? '', /validation\.egress\.deny/, address);
  }
  for (const address of ['192.0.2.1', '10.1.2.3', '2001:db8::1', '100.100.100.201']) assert.equal(byDefault.refusal(address), undefined, address);
});

test('loopback is refused unless allowed', () => {
  for (const address of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) {
    assert.match(byDefault.refusal(address) ?? '', /loopback/, address);
    assert.equal(new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: true }).refusal(address), undefined, address);
  }
});

test('an allow list admits only its ranges, and deny still wins inside them', () => {
  const policy = new EgressPolicy({ deny: ['10.9.0.0/16'], allow: ['10.0.0.0/8', '2001:db8::/32'], allowLoopback: true });
  assert.equal(policy.refusal('10.1.2.3'), undefined);
  assert.equal(policy.refusal('2001:db8::5'), undefined);
  assert.equal(policy.refusal('127.0.0.1'), undefined);
  assert.match(policy.refusal('192.0.2.1') ?? '', /validation\.egress\.allow/);
  assert.match(policy.refusal('10.9.1.1') ?? '', /validation\.egress\.deny/);
  assert.match(policy.refusal('not-an-ip') ?? '', /not an IP address/);
});

test('a range that is no address or CIDR range is refused by its key', () => {
  assert.throws(() => new EgressPolicy({ deny: ['nope'], allow: [], allowLoopback: false }), /validation\.egress\.deny: "nope"/);
});
