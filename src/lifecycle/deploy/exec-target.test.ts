import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { execEnv } from './exec-target.ts';
import { lastLines } from './run-command.ts';
import type { CertificateMaterial } from './types.ts';

const material: CertificateMaterial = {
  name: 'web', certPem: 'LEAF', chainPem: 'CHAIN', keyPem: 'SECRET KEY', serial: '0a1b', notAfter: Date.UTC(2026, 5, 1),
  fingerprint256: 'cd'.repeat(32), names: ['a.example', '192.0.2.1'],
};

test('the hook environment names the certificate, and the paths of the files written, like certbot deploy hooks', () => {
  const env = execEnv({ env: { SERVICE: 'web', CERTAINTY_NAME: 'spoofed' }, files: { certPath: '/s/c.pem', keyPath: '/s/k.pem' } }, material);
  assert.equal(env['CERTAINTY_NAME'], 'web', "Certainty's variables win over the target's");
  assert.equal(env['CERTAINTY_NAMES'], 'a.example 192.0.2.1');
  assert.equal(env['CERTAINTY_SERIAL'], '0a1b');
  assert.equal(env['CERTAINTY_FINGERPRINT256'], 'cd'.repeat(32));
  assert.equal(env['CERTAINTY_NOT_AFTER'], '2026-06-01T00:00:00.000Z');
  assert.equal(env['CERTAINTY_CERT_PATH'], '/s/c.pem');
  assert.equal(env['CERTAINTY_KEY_PATH'], '/s/k.pem');
  assert.equal(env['CERTAINTY_FULLCHAIN_PATH'], undefined, 'not written, so not named');
  assert.equal(env['SERVICE'], 'web');
  assert.ok(env['PATH'] !== undefined);
});

test("the hook never inherits Certainty's own environment, nor sees the key", () => {
  process.env['CERTAINTY_KEK_PASSPHRASE'] = 'do not pass me on';
  try {
    const env = execEnv({}, material);
    assert.equal(env['CERTAINTY_KEK_PASSPHRASE'], undefined);
    assert.doesNotMatch(JSON.stringify(env), /SECRET KEY/);
    assert.deepEqual(Object.keys(env).sort(), ['CERTAINTY_FINGERPRINT256', 'CERTAINTY_NAME', 'CERTAINTY_NAMES', 'CERTAINTY_NOT_AFTER', 'CERTAINTY_SERIAL', 'LANG', 'PATH']);
  } finally {
    delete process.env['CERTAINTY_KEK_PASSPHRASE'];
  }
});

test('a failing command is reported by its last few lines of stderr, on one line', () => {
  assert.equal(lastLines('a\n\nb\nc\nd\ne\nf\n'), 'b | c | d | e | f');
  assert.equal(lastLines(''), '');
});
