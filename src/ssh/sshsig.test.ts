import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parsePublicKeyBlob } from './keys.ts';
import { generateCaKey, loadSigner } from './signer.ts';
import { verifySshSig } from './sshsig.ts';
import { SshWriter } from './wire.ts';

/** An armored SSHSIG as `ssh-keygen -Y sign` writes it (PROTOCOL.sshsig), made with our signer. */
function sshsig(signer: ReturnType<typeof loadSigner>, namespace: string, message: Buffer): string {
  const hash = createHash('sha512').update(message).digest();
  const signed = new SshWriter().raw(Buffer.from('SSHSIG')).string(namespace).string('').string('sha512').string(hash).toBuffer();
  const blob = new SshWriter().raw(Buffer.from('SSHSIG')).uint32(1).string(signer.publicBlob).string(namespace).string('').string('sha512').string(signer.sign(signed)).toBuffer();
  return `-----BEGIN SSH SIGNATURE-----\n${blob.toString('base64').replace(/.{76}/g, '$&\n')}\n-----END SSH SIGNATURE-----\n`;
}

test('an SSHSIG verifies only for its key, namespace and message', () => {
  for (const algorithm of ['ed25519', 'ecdsa-p256', 'rsa-3072'] as const) {
    const signer = loadSigner(algorithm, generateCaKey(algorithm).privatePem);
    const key = parsePublicKeyBlob(signer.publicBlob);
    const other = parsePublicKeyBlob(loadSigner('ed25519', generateCaKey('ed25519').privatePem).publicBlob);
    const sig = sshsig(signer, 'certainty-ssh-renew', Buffer.from('hello'));
    assert.ok(verifySshSig(sig, key, 'certainty-ssh-renew', Buffer.from('hello')), algorithm);
    assert.ok(!verifySshSig(sig, key, 'certainty-ssh-renew', Buffer.from('hellO')), `${algorithm}: other message`);
    assert.ok(!verifySshSig(sig, key, 'file', Buffer.from('hello')), `${algorithm}: other namespace`);
    assert.ok(!verifySshSig(sig, other, 'certainty-ssh-renew', Buffer.from('hello')), `${algorithm}: other key`);
  }
  assert.ok(!verifySshSig('-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----', parsePublicKeyBlob(loadSigner('ed25519', generateCaKey('ed25519').privatePem).publicBlob), 'x', Buffer.alloc(0)));
});
