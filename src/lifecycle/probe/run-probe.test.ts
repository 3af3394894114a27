import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { outcomeOf } from './run-probe.ts';
import type { ProbeResult } from './probe.ts';

const served = { fingerprint256: 'ab'.repeat(32), serial: '01', subject: 'CN=a', issuer: 'CN=ca', names: ['a.test'], notBefore: 0, notAfter: 86_400_000 * 30, pem: '' };
const base: ProbeResult = {
  endpoint: { host: '127.0.0.1', port: 443, servername: 'a.test' }, checkedAt: 0, error: null, served,
  daysLeft: 30, chainValid: true, chainError: null, nameMatch: true, drift: false,
};

test('a healthy endpoint is ok; each thing wrong is named in the problem', () => {
  assert.equal(outcomeOf(base, null).outcome, 'ok');
  assert.equal(outcomeOf(base, null).error, null);
  const bad = outcomeOf({ ...base, daysLeft: -1, chainValid: false, chainError: 'CERT_HAS_EXPIRED', nameMatch: false, drift: true }, null);
  assert.equal(bad.outcome, 'problem');
  assert.equal(bad.error, 'the certificate has expired; the chain does not lead to the trust bundle (CERT_HAS_EXPIRED); the certificate does not name a.test; the certificate served is not the expected one');
});

test('nothing read is an error with the reason, and no verdicts', () => {
  const r = outcomeOf({ ...base, served: null, error: 'connection refused by 127.0.0.1:443: nothing listens on that port', daysLeft: null, chainValid: null, nameMatch: null, drift: null }, null);
  assert.deepEqual([r.outcome, r.fingerprint256, r.drift, r.consecutiveErrors], ['error', null, null, 1]);
  assert.match(r.error ?? '', /connection refused/);
});

test('errors are counted in a row, and the count starts again when a certificate is read', () => {
  const refused = { ...base, served: null, error: 'connection refused', daysLeft: null, chainValid: null, nameMatch: null, drift: null };
  const first = outcomeOf(refused, null);
  const second = outcomeOf(refused, first);
  assert.deepEqual([first.consecutiveErrors, second.consecutiveErrors, outcomeOf(refused, second).consecutiveErrors], [1, 2, 3]);
  assert.equal(outcomeOf(base, second).consecutiveErrors, 0);
  assert.equal(outcomeOf({ ...base, drift: true }, second).consecutiveErrors, 0, 'a problem read from the endpoint is an answer');
});
