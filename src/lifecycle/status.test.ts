import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcmeError } from '../acme-client/client.ts';
import { describeFailure } from './failure.ts';
import { statusLine } from './status.ts';
import type { ManagedCertificate } from './types.ts';

const cert = (over: Partial<ManagedCertificate>): ManagedCertificate => ({
  name: 'web', issuer: 'le', currentRevision: 1, renewalSeq: 2, nextRenewalAt: 240_000, renewalRule: 'backoff', ari: undefined, ariPollAt: undefined,
  failures: 1, lastOutcome: 'failed', lastDetail: 'x', lastAttemptAt: 0, pendingOrderUrl: undefined, createdAt: 0, version: 1,
  spec: { names: ['a.test'], keyType: 'ecdsa-p256', reuseKey: false, revisionLimit: 5, solver: { type: 'http-01' }, targets: [], policy: { renewWhenLeft: 1 / 3, validityDays: 90 } },
  ...over,
});

test('a refused EAB key reads as what to fix, and backs off as a hard failure', () => {
  const err = new AcmeError(401, { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'the EAB key is not known' }, 'https://ca.test/acme/new-account');
  const f = describeFailure(err);
  assert.equal(f.kind, 'hard');
  assert.match(f.detail, /^upstream refused the account \(unauthorized\): the EAB key is not known; check the issuer's EAB key id and HMAC key/);
  const line = statusLine(cert({ lastDetail: f.detail }), undefined, 0);
  assert.match(line, /^renewal failed: upstream refused the account .*; next try in 4 min \(retry after a failure\)$/);
});

test('unreachable upstreams and rate limits are transient', () => {
  assert.equal(describeFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })).kind, 'transient');
  assert.equal(describeFailure(new AcmeError(429, { type: 'urn:ietf:params:acme:error:rateLimited' }, 'https://ca.test/new-order')).kind, 'transient');
  assert.equal(describeFailure(new AcmeError(503, undefined, 'https://ca.test/new-order')).kind, 'transient');
});

test('an untrusted upstream certificate is told by its TLS code; other errors that mention a certificate are not', () => {
  const untrusted = describeFailure(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }));
  assert.equal(untrusted.kind, 'hard');
  assert.match(untrusted.detail, /^upstream's HTTPS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\): .*; give the issuer a trust bundle \(--trust\)$/);
  const other = describeFailure(new Error('managed certificate web changed while recording its renewal'));
  assert.equal(other.kind, 'transient');
  assert.equal(other.detail, 'managed certificate web changed while recording its renewal');
});

test('a renewed certificate says when and why it renews next', () => {
  const line = statusLine(cert({ lastOutcome: 'renewed', lastDetail: 'revision 1 issued', renewalRule: 'ari', nextRenewalAt: 7_200_000 }), undefined, 0);
  assert.equal(line, 'revision 1 issued; next renewal in 2 h (chosen in the window the CA suggests (ARI))');
  assert.match(statusLine(cert({ lastOutcome: 'none', nextRenewalAt: 0 }), undefined, 0), /^not issued yet; first order now$/);
});
