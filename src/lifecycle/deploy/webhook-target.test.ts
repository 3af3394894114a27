import * as assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { CertificateMaterial } from './types.ts';
import { webhookPayload, webhookSignature } from './webhook-target.ts';

const material: CertificateMaterial = {
  name: 'web', certPem: 'LEAF', chainPem: 'CHAIN', keyPem: 'SECRET KEY', serial: '0a1b', notAfter: Date.UTC(2026, 5, 1),
  fingerprint256: 'ab'.repeat(32), names: ['a.example', 'b.example'],
};

test('the webhook signature is HMAC-SHA256 over timestamp, a dot and the body, in hex', () => {
  const body = '{"event":"certificate.deployed"}';
  const expected = createHmac('sha256', 'k3y').update(`1700000000.${body}`).digest('hex');
  assert.equal(webhookSignature('k3y', '1700000000', body), `sha256=${expected}`);
  assert.notEqual(webhookSignature('k3y', '1700000001', body), `sha256=${expected}`, 'the timestamp is signed');
  // A fixed vector, so the documented openssl command can be checked by hand.
  assert.equal(webhookSignature('secret', '1', 'x'), `sha256=${createHmac('sha256', 'secret').update('1.x').digest('hex')}`);
});

test('the payload carries the private key only when the target opts in', () => {
  const plain = webhookPayload({}, material);
  assert.equal('keyPem' in plain, false);
  assert.doesNotMatch(JSON.stringify(plain), /SECRET KEY/);
  assert.deepEqual(plain, {
    event: 'certificate.deployed', name: 'web', names: ['a.example', 'b.example'], serial: '0a1b', fingerprint256: 'ab'.repeat(32),
    notAfter: '2026-06-01T00:00:00.000Z', certPem: 'LEAF', chainPem: 'CHAIN',
  });
  assert.equal(webhookPayload({ includePrivateKey: false }, material).keyPem, undefined);
  assert.equal(webhookPayload({ includePrivateKey: true }, material).keyPem, 'SECRET KEY');
});
