import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Keyring } from '../kek/envelope.ts';
import { LocalKek } from '../kek/kek.ts';
import type { DeclaredTarget } from './deploy/types.ts';
import { REDACTED, revealTarget, sealTargets, unwrapTargetSecrets, wrapTargetSecrets } from './target-secrets.ts';

const targets: DeclaredTarget[] = [
  { type: 'file', certPath: '/s/c.pem' },
  { type: 'webhook', url: 'https://hooks.test/x', secretRef: 'kv/hook', headers: { Authorization: 'Bearer s3cret', 'X-Team': { secret: 'kv/team#id' } } },
  { type: 'exec', command: '/bin/true', env: { API_KEY: 'k-123' } },
];

test('inline header and env values are stored apart and read (secret); references stay', () => {
  const { targets: sealed, secrets } = sealTargets(targets);
  assert.deepEqual(sealed[1], { ...targets[1], headers: { Authorization: REDACTED, 'X-Team': { secret: 'kv/team#id' } } });
  assert.deepEqual(sealed[2], { ...targets[2], env: { API_KEY: REDACTED } });
  assert.deepEqual(sealed[0], targets[0]);
  assert.deepEqual(secrets, { 1: { Authorization: 'Bearer s3cret' }, 2: { API_KEY: 'k-123' } });
  assert.ok(!JSON.stringify(sealed).includes('s3cret'));
});

test('a deploy gets the values back: inline ones unwrapped, references looked up', async () => {
  const kek = new Keyring(new LocalKek(randomBytes(32), 'test'));
  const { targets: sealed, secrets } = sealTargets(targets);
  const wrapped = wrapTargetSecrets(kek, 'web', secrets);
  assert.ok(wrapped !== undefined && !wrapped.toString('latin1').includes('s3cret'));
  assert.throws(() => unwrapTargetSecrets(kek, 'other', wrapped), 'bound to the certificate name');
  const stored = unwrapTargetSecrets(kek, 'web', wrapped);
  const hook = await revealTarget(sealed[1] as DeclaredTarget, 1, stored, (ref) => Promise.resolve(`value of ${ref}`));
  assert.deepEqual(hook.type === 'webhook' && hook.headers, { Authorization: 'Bearer s3cret', 'X-Team': 'value of kv/team#id' });
  const exec = await revealTarget(sealed[2] as DeclaredTarget, 2, stored, undefined);
  assert.deepEqual(exec.type === 'exec' && exec.env, { API_KEY: 'k-123' });
  assert.equal(wrapTargetSecrets(kek, 'web', {}), undefined, 'nothing to wrap, nothing stored');
  await assert.rejects(revealTarget(sealed[1] as DeclaredTarget, 1, stored, undefined), /no secrets store/);
});
