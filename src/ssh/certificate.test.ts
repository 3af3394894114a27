import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCertificate, parseCertificate, certificateLine } from './certificate.ts';
import { parsePublicKeyLine } from './keys.ts';
import { generateCaKey, loadSigner, SSH_CA_ALGORITHMS, signatureAlgorithm, verifySshSignature } from './signer.ts';

const USER_KEY = parsePublicKeyLine('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILRrJztPDkFnKUs+kvD4kApFkSzNN8LYWqsjRe25J1Un root@vm');
const FIELDS = {
  kind: 'user' as const, key: USER_KEY, serial: 0x7fff_ffff_ffff_fff1n, keyId: 'alice@example', principals: ['alice', 'deploy'], validAfter: 1_700_000_000n,
  validBefore: 1_700_003_600n, criticalOptions: { 'source-address': '10.0.0.0/8', 'force-command': '/bin/true' }, extensions: ['permit-pty', 'permit-X11-forwarding'],
};

test('a certificate round-trips and its signature verifies, for every CA algorithm', () => {
  for (const algorithm of SSH_CA_ALGORITHMS.filter((a) => a !== 'rsa-4096')) {
    const ca = loadSigner(algorithm, generateCaKey(algorithm).privatePem);
    const blob = encodeCertificate(FIELDS, ca);
    const parsed = parseCertificate(certificateLine(blob));
    assert.equal(parsed.certType, 'ssh-ed25519-cert-v01@openssh.com');
    assert.deepEqual([parsed.serial, parsed.keyId, parsed.principals, parsed.validAfter, parsed.validBefore], [FIELDS.serial, FIELDS.keyId, FIELDS.principals, FIELDS.validAfter, FIELDS.validBefore]);
    assert.deepEqual(parsed.caKey.blob, ca.publicBlob);
    assert.equal(parsed.key.fingerprint, USER_KEY.fingerprint);
    assert.ok(verifySshSignature(parsed.caKey, parsed.signature, parsed.signed), algorithm);
    assert.ok(!verifySshSignature(parsed.caKey, parsed.signature, Buffer.concat([parsed.signed, Buffer.from([0])])), `${algorithm}: altered data`);
    // RFC 8332: never ssh-rsa (SHA-1), which OpenSSH refuses by default.
    if (algorithm.startsWith('rsa')) assert.equal(signatureAlgorithm(parsed.signature), 'rsa-sha2-512');
  }
});

test('critical options and extensions are written sorted by name (PROTOCOL.certkeys), whatever order they were given in', () => {
  const ca = loadSigner('ed25519', generateCaKey('ed25519').privatePem);
  const parsed = parseCertificate(encodeCertificate(FIELDS, ca));
  assert.deepEqual(Object.keys(parsed.criticalOptions), ['force-command', 'source-address']);
  assert.deepEqual(parsed.criticalOptions, { 'force-command': '/bin/true', 'source-address': '10.0.0.0/8' });
  assert.deepEqual(parsed.extensions, ['permit-X11-forwarding', 'permit-pty']);
});

test('a truncated certificate is a malformed problem, not a crash', () => {
  const ca = loadSigner('ed25519', generateCaKey('ed25519').privatePem);
  const blob = encodeCertificate(FIELDS, ca);
  assert.throws(() => parseCertificate(blob.subarray(0, blob.length - 10)), /The certificate is malformed/);
});
