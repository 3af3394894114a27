import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../errors.ts';
import { parsePublicKeyLine } from './keys.ts';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILRrJztPDkFnKUs+kvD4kApFkSzNN8LYWqsjRe25J1Un root@vm';
const ECDSA384 = 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBNr56jBnZ4pYlLcshX1gDXeFsOV6KQARYuR3ZQal3bz/Vx3uAJQ0gjYEHNR83VrBjUa95xnpp315jlAuzRhSPflfLT7CTmT4V3mpqD3fnjWZLkXpFr0Eqwz7P1tiFspxrA== root@vm';
const RSA1024 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC3eDDgdJhNpqLcHiVe2S4NmARkoKmk0KkrX26JdvVeoRVco0k+T3C7wh9tNez40dVBYuYgyQlooQCCL5w0D9Pi1asPPk9mT3B6uSPeNA//kQR57QnrDMs+0/1GYIIj0E7HN4ZSEMo041D8Ftu8brRBOx64JWxUfVJysjy0xOlRHQ== root@vm';

function refused(line: string, detail: RegExp): void {
  assert.throws(() => parsePublicKeyLine(line), (err: unknown) => isAppError(err) && err.code === 'badPublicKey' && detail.test(err.message));
}

test('public keys parse with the fingerprint ssh-keygen -l prints, family and size', () => {
  const ed = parsePublicKeyLine(ED25519);
  assert.equal(ed.fingerprint, 'SHA256:k42MO7zRVR13PfJtCrQMc0xZAUFQf9cMUkeAd2mAheo');
  assert.deepEqual([ed.family, ed.bits], ['ed25519', 256]);
  const ec = parsePublicKeyLine(ECDSA384);
  assert.deepEqual([ec.family, ec.bits, ec.type], ['ecdsa', 384, 'ecdsa-sha2-nistp384']);
  assert.deepEqual([parsePublicKeyLine(RSA1024).family, parsePublicKeyLine(RSA1024).bits], ['rsa', 1024]);
});

test('malformed, mislabelled, truncated, DSA and certificate lines are refused with a reason', () => {
  refused('ssh-ed25519', /one line "TYPE BASE64/);
  refused('ssh-ed25519 not*base64', /not base64/);
  refused(ED25519.replace('ssh-ed25519', 'ecdsa-sha2-nistp256'), /says ecdsa-sha2-nistp256 but its data is ssh-ed25519/);
  refused(`ssh-ed25519 ${Buffer.from(ED25519.split(' ')[1] as string, 'base64').subarray(0, 40).toString('base64')}`, /malformed: the data ends early/);
  refused(`ssh-ed25519 ${Buffer.concat([Buffer.from(ED25519.split(' ')[1] as string, 'base64'), Buffer.from([0])]).toString('base64')}`, /unexpected bytes/);
  refused('ssh-dss AAAAB3NzaC1kc3MAAACBAO+6meX0zSb9qeFABVTprIP42ZkbTADz', /DSA keys are refused/);
  refused(`ssh-ed25519-cert-v01@openssh.com AAAA`, /certificate, not a public key/);
});
