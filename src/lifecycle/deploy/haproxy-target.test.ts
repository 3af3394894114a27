import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { haproxyBundle, openTransaction, servedSerial } from './haproxy-target.ts';
import type { CertificateMaterial } from './types.ts';

test('servedSerial reads the serial from `show ssl cert`, or null for a certificate HAProxy does not know', () => {
  const shown = 'Filename: /x/site.pem\nStatus: Used\nSerial: 0ABDEEABE740347CC1EFDE54C521C398BE6C0660\nnotBefore: Dec  3 03:47:59 2026 GMT\n';
  assert.equal(servedSerial(shown), '0abdeeabe740347cc1efde54c521c398be6c0660');
  assert.equal(servedSerial("Can't display the certificate: Not found or the certificate is a bundle!\n"), null);
});

test('the bundle is leaf, intermediates, key, each block on its own lines', () => {
  const m = { certPem: 'LEAF\n', chainPem: '\nCHAIN\n\n', keyPem: 'KEY' } as CertificateMaterial;
  assert.equal(haproxyBundle(m), 'LEAF\nCHAIN\nKEY\n');
  assert.equal(haproxyBundle({ ...m, chainPem: '' }), 'LEAF\nKEY\n');
});

test('openTransaction names the certificate whose update is open in `show ssl cert`', () => {
  assert.equal(openTransaction('# transaction\n*/etc/haproxy/a.pem\n# filename\n/etc/haproxy/a.pem\n/etc/haproxy/b.pem\n'), '/etc/haproxy/a.pem');
  assert.equal(openTransaction('# filename\n/etc/haproxy/a.pem\n'), null);
});
