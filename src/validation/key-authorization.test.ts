import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { dns01TxtValue, keyAuthorization } from './key-authorization.ts';

test('key authorization joins token and thumbprint with a dot (RFC 8555 §8.1)', () => {
  assert.equal(keyAuthorization('tok', 'thumb'), 'tok.thumb');
});

test('dns-01 TXT value is base64url(SHA-256(key authorization)) (RFC 8555 §8.4)', () => {
  // RFC 8555 §8.3's example token with RFC 7638 §3.1's example thumbprint; the expected value was
  // computed independently with `openssl dgst -sha256 -binary | base64` (padding dropped).
  const keyAuth = keyAuthorization('evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  assert.equal(dns01TxtValue(keyAuth), 'ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8');
  assert.doesNotMatch(dns01TxtValue(keyAuth), /[+/=]/);
});
