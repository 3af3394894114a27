import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../errors.ts';
import { canonicalIp } from '../ca/ip.ts';
import { DEFAULTS } from '../config/schema.ts';
import { IdentifierPolicy } from './policy.ts';

const { maxIdentifiersPerOrder } = DEFAULTS.policy;
const open = new IdentifierPolicy({ allowedDomains: [], allowedIpRanges: [], allowWildcards: true, maxIdentifiersPerOrder });
const strict = new IdentifierPolicy({ allowedDomains: ['internal.example'], allowedIpRanges: ['10.0.0.0/8', '2001:db8::/32'], allowWildcards: false, maxIdentifiersPerOrder });

test('identifiers are normalised: lowercase names, canonical IPs, duplicates dropped', () => {
  assert.deepEqual(open.check([{ type: 'dns', value: 'WWW.Example.TEST' }, { type: 'dns', value: 'www.example.test' }, { type: 'ip', value: '2001:DB8:0:0::1' }]), [
    { type: 'dns', value: 'www.example.test' },
    { type: 'ip', value: '2001:db8::1' },
  ]);
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('nope'), undefined);
});

test('with no lists any valid identifier passes; wildcards too', () => {
  assert.equal(open.open, true);
  assert.equal(open.check([{ type: 'dns', value: '*.a.test' }]).length, 1);
  assert.equal(open.check([{ type: 'dns', value: 'localhost' }]).length, 1);
});

test('allowed suffixes and ranges decide, each for its own type', () => {
  assert.equal(strict.check([{ type: 'dns', value: 'internal.example' }, { type: 'dns', value: 'a.b.internal.example' }]).length, 2);
  assert.equal(strict.check([{ type: 'ip', value: '10.1.2.3' }, { type: 'ip', value: '2001:db8::5' }]).length, 2);
  for (const bad of [{ type: 'dns', value: 'notinternal.example' }, { type: 'dns', value: 'evil.test' }, { type: 'ip', value: '192.168.1.1' }, { type: 'dns', value: '*.internal.example' }]) {
    assert.throws(() => strict.check([bad]), (e: unknown) => isAppError(e) && e.code === 'rejectedIdentifier', JSON.stringify(bad));
  }
});

test('bad syntax is rejected with one subproblem per identifier', () => {
  assert.throws(
    () => open.check([{ type: 'dns', value: 'ok.test' }, { type: 'dns', value: 'a..test' }, { type: 'dns', value: '1.2.3.4' }, { type: 'uri', value: 'x' }]),
    (e: unknown) => isAppError(e) && e.code === 'rejectedIdentifier' && e.subproblems.length === 3 && e.subproblems[2]?.code === 'unsupportedIdentifier',
  );
  assert.throws(() => open.check('x'), (e: unknown) => isAppError(e) && e.code === 'malformed');
  assert.throws(() => open.check([{ type: 'dns', value: `${'a'.repeat(64)}.test` }]), (e: unknown) => isAppError(e) && e.code === 'rejectedIdentifier');
});

test('an order naming more identifiers than policy.maxIdentifiersPerOrder is malformed, as in Boulder', () => {
  const names = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ type: 'dns', value: `n${i}.test` }));
  assert.equal(open.check(names(100)).length, 100, 'the default is 100');
  assert.throws(() => open.check(names(101)), (e: unknown) => isAppError(e) && e.code === 'malformed' && /more than 100 identifiers/.test(e.detail));
  const three = new IdentifierPolicy({ allowedDomains: [], allowedIpRanges: [], allowWildcards: true, maxIdentifiersPerOrder: 3 });
  assert.equal(three.check(names(3)).length, 3);
  assert.throws(() => three.check(names(4)), (e: unknown) => isAppError(e) && e.code === 'malformed' && /more than 3 identifiers/.test(e.detail));
});

test('policy.allowedIpRanges entries that are no address or CIDR range are refused by name', () => {
  for (const bad of ['10.0.0.0/33', '10.0.0.0/8/9', 'example.test']) {
    assert.throws(() => new IdentifierPolicy({ allowedDomains: [], allowedIpRanges: [bad], allowWildcards: true, maxIdentifiersPerOrder }), new RegExp(`policy\\.allowedIpRanges: "${bad}"`));
  }
});
