import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestTlsCert } from './tls-cert.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { crlDistributionPoints, expectedSans, normalizeSerial, splitPem, subjectAltNames, verifyChain } from './x509.ts';

test('splitPem returns each block of a bundle in order', () => {
  const block = (n: number): string => `-----BEGIN CERTIFICATE-----\nQUJD${n}\n-----END CERTIFICATE-----`;
  assert.deepEqual(splitPem(`${block(1)}\n\n${block(2)}\n`), [`${block(1)}\n`, `${block(2)}\n`]);
  assert.deepEqual(splitPem('no pem here'), []);
});

test('serials compare without case, colons or leading zeros', () => {
  assert.equal(normalizeSerial('00:0a:FF'), 'AFF');
  assert.equal(normalizeSerial('0'), '0');
});

test('expectedSans types identifiers like openssl prints them', () => {
  assert.deepEqual(expectedSans(['b.example.test', '127.0.0.1', '*.a.example.test', '::1']), [
    'DNS:*.a.example.test',
    'DNS:b.example.test',
    'IP:127.0.0.1',
    'IP:::1',
  ]);
});

test('subjectAltNames reads DNS and IP (v4 and v6) names from a certificate', async () => {
  const dir = await makeTempDir('x509-test');
  try {
    const tls = await createTestTlsCert(dir);
    assert.deepEqual((await subjectAltNames(tls.certPath)).sort(), expectedSans(['localhost', '127.0.0.1', '0:0:0:0:0:0:0:1']));
    await verifyChain({ rootPemPath: tls.caPemPath, untrustedPemPath: tls.caPemPath, leafPemPath: tls.certPath });
    await assert.rejects(verifyChain({ rootPemPath: tls.certPath, untrustedPemPath: tls.certPath, leafPemPath: tls.caPemPath }));
    assert.deepEqual(await crlDistributionPoints(tls.certPath), []);
  } finally {
    await removeDir(dir);
  }
});
