import * as assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { webhookSignature } from './webhook.ts';

test('webhookSignature: HMAC-SHA256 over "<t>.<body>", hex, with its timestamp', () => {
  const key = Buffer.from('k');
  const expected = createHmac('sha256', key).update('1700000000.{"a":1}').digest('hex');
  assert.equal(webhookSignature(key, '{"a":1}', 1_700_000_000), `t=1700000000,v1=${expected}`);
});
