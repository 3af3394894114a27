import * as assert from 'node:assert/strict';
import type { CaaRecord } from 'node:dns';
import { test } from 'node:test';
import { AppError } from '../errors.ts';
import { createCaaChecker, type CaaSubject } from './caa.ts';
import type { ValidationResolver } from './resolver.ts';

const ACCOUNT = 'acct1';
const ACCOUNT_URL = `https://ca.test/acme/account/${ACCOUNT}`;

/** A resolver answering CAA from a map; names not in it have no CAA records. */
function zone(records: Record<string, CaaRecord[] | Error>, asked: string[] = []): ValidationResolver {
  return {
    resolveAddresses: () => Promise.reject(new Error('not used')),
    resolveTxt: () => Promise.reject(new Error('not used')),
    resolveCaa: async (name) => {
      asked.push(name);
      const answer = records[name] ?? [];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const issue = (value: string, critical = 0): CaaRecord => ({ critical, issue: value });
const checker = (records: Record<string, CaaRecord[] | Error>) =>
  createCaaChecker(zone(records), { identities: ['Certainty.test'], accountUriMatches: (uri, id) => uri === `https://ca.test/acme/account/${id}` });
const subject = (value: string, method: CaaSubject['method'] = 'http-01'): CaaSubject => ({ identifier: { type: 'dns', value }, method, accountId: ACCOUNT });

async function refused(records: Record<string, CaaRecord[] | Error>, s: CaaSubject, detail: RegExp): Promise<void> {
  await assert.rejects(checker(records).check(s), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'caa');
    assert.match(err.detail, detail);
    return true;
  });
}

test('no CAA anywhere up the tree permits issuance; IP identifiers are not checked', async () => {
  const asked: string[] = [];
  const c = createCaaChecker(zone({}, asked), { identities: ['certainty.test'], accountUriMatches: () => true });
  await c.check(subject('a.b.example.test'));
  assert.deepEqual(asked.sort(), ['a.b.example.test', 'b.example.test', 'example.test', 'test']);
  await c.check({ identifier: { type: 'ip', value: '192.0.2.1' }, method: 'http-01', accountId: ACCOUNT });
});

test('the closest CAA record set decides (RFC 8659 §3 tree climbing)', async () => {
  await checker({ 'example.test': [issue('certainty.test')] }).check(subject('www.example.test'));
  await refused({ 'example.test': [issue('other-ca.example')] }, subject('www.example.test'), /^CAA record for example\.test prevents issuance: no "issue" property names this CA \(certainty\.test\)$/);
  // A set at the name itself hides its parent's.
  await checker({ 'www.example.test': [issue('certainty.test')], 'example.test': [issue('other-ca.example')] }).check(subject('www.example.test'));
  await refused({ 'www.example.test': [issue(';')], 'example.test': [issue('certainty.test')] }, subject('www.example.test'), /www\.example\.test/);
});

test('a lookup failure before the deciding set is a dns problem, not a pass', async () => {
  const servfail = new AppError('dns', 'DNS problem: SERVFAIL looking up CAA for example.test');
  await assert.rejects(checker({ 'example.test': servfail }).check(subject('www.example.test')), { code: 'dns' });
  // Below the deciding set a failure does not matter.
  await checker({ 'www.example.test': [issue('certainty.test')], test: servfail }).check(subject('www.example.test'));
});

test('issuewild governs wildcards when present, issue otherwise; issuewild does not affect other names', async () => {
  const records = { 'example.test': [issue('certainty.test'), { critical: 0, issuewild: 'other-ca.example' }] };
  await refused(records, subject('*.example.test', 'dns-01'), /no "issuewild" property names this CA/);
  await checker(records).check(subject('example.test'));
  await checker({ 'example.test': [issue('certainty.test')] }).check(subject('*.example.test', 'dns-01'));
  await checker({ 'example.test': [{ critical: 0, issuewild: 'certainty.test' }, issue(';')] }).check(subject('*.example.test', 'dns-01'));
});

test('an unknown tag marked critical forbids issuance; known or non-critical ones do not', async () => {
  await refused({ 'example.test': [issue('certainty.test'), { critical: 128, tbs: 'x' } as CaaRecord] }, subject('example.test'), /critical "tbs" property/);
  await refused({ 'example.test': [issue('certainty.test'), { critical: 1, tbs: 'x' } as CaaRecord] }, subject('example.test'), /critical "tbs"/);
  await checker({ 'example.test': [issue('certainty.test'), { critical: 0, tbs: 'x' } as CaaRecord, { critical: 128, iodef: 'mailto:a@b.test' }] }).check(subject('example.test'));
  // Only unknown tags: no issue property, so nothing is restricted.
  await checker({ 'example.test': [{ critical: 0, iodef: 'mailto:a@b.test' }] }).check(subject('example.test'));
});

test('RFC 8657 accounturi must name the requesting account', async () => {
  await checker({ 'example.test': [issue(`certainty.test; accounturi=${ACCOUNT_URL}`)] }).check(subject('example.test'));
  await refused({ 'example.test': [issue('certainty.test; accounturi=https://ca.test/acme/account/someone-else')] }, subject('example.test'), /accounturi names another ACME account/);
  // Another record for this CA without the restriction still permits.
  await checker({ 'example.test': [issue('certainty.test; accounturi=https://ca.test/acme/account/x'), issue('certainty.test')] }).check(subject('example.test'));
});

test('RFC 8657 validationmethods must include the method used', async () => {
  const records = { 'example.test': [issue('certainty.test;validationmethods=dns-01,tls-alpn-01')] };
  await refused(records, subject('example.test', 'http-01'), /validationmethods "dns-01,tls-alpn-01" do not include http-01/);
  await checker(records).check(subject('example.test', 'dns-01'));
  await checker(records).check(subject('example.test', 'tls-alpn-01'));
});

test('malformed values authorize nobody; issuer names compare case-insensitively, unknown parameters are ignored', async () => {
  await refused({ 'example.test': [issue('certainty.test; bad parameter')] }, subject('example.test'), /no "issue" property/);
  await refused({ 'example.test': [issue('certainty.test/path')] }, subject('example.test'), /no "issue" property/);
  await checker({ 'example.test': [issue('  CERTAINTY.TEST ;  future-param = x  ')] }).check(subject('example.test'));
});
