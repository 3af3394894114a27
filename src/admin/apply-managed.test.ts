import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Keyring } from '../kek/envelope.ts';
import { LocalKek } from '../kek/kek.ts';
import { parseManagedInput } from '../lifecycle/managed-input.ts';
import type { ProbeStore } from '../lifecycle/probe/store.ts';
import type { LifecycleStore } from '../lifecycle/store.ts';
import { sealTargets, wrapTargetSecrets } from '../lifecycle/target-secrets.ts';
import type { ManagedCertificate } from '../lifecycle/types.ts';
import { applyDocument } from './apply.ts';
import { managedApplier } from './apply-managed.ts';
import type { ApplyContext } from './apply-plan.ts';

const kek = new Keyring(new LocalKek(randomBytes(32), 'test'));
const entry = {
  name: 'web', issuer: 'own', names: ['web.example'], renewWhenLeft: 0.5,
  targets: [{ type: 'webhook', url: 'https://hooks.example/x', secretRef: 'kv/hook', headers: { Authorization: 'Bearer one' } }],
};

/** A store holding `entry` as `managed add` would have stored it. */
function storedAs(input: typeof entry): ApplyContext {
  const parsed = parseManagedInput(input);
  const { targets, secrets } = sealTargets(parsed.spec.targets);
  const cert = { name: parsed.name, issuer: parsed.issuer, spec: { ...parsed.spec, targets }, version: 3 } as ManagedCertificate;
  const store = {
    managed: (name: string) => Promise.resolve(name === cert.name ? cert : undefined),
    managedList: () => Promise.resolve([cert, { ...cert, name: 'old' }]),
    issuers: () => Promise.resolve([{ name: 'own' }]),
    targetSecrets: () => Promise.resolve(wrapTargetSecrets(kek, cert.name, secrets)),
  } as unknown as LifecycleStore;
  return { lifecycle: store, probes: {} as ProbeStore, kek, now: () => 0, actor: 'cli:test' };
}

const planFor = async (ctx: ApplyContext, managed: unknown[]) =>
  (await managedApplier.plan({ managed }, ctx)).map((c) => `${c.op} ${c.name}${c.fields.length > 0 ? `: ${c.fields.join(', ')}` : ''}`);

test('the same declaration is no change; another is named field by field; what the file leaves out is a removal', async () => {
  const ctx = storedAs(entry);
  assert.deepEqual(await planFor(ctx, [entry]), ['remove old']);
  assert.deepEqual(await planFor(ctx, [{ ...entry, names: ['web.example', 'www.example'], renewWhenLeft: 0.25 }]), ['update web: names, renewWhenLeft', 'remove old']);
  assert.deepEqual(await planFor(ctx, [{ ...entry, name: 'api' }]), ['create api', 'remove web', 'remove old']);
});

test('a changed secret value is a change to targets, though only the name is stored in the clear', async () => {
  const ctx = storedAs(entry);
  const rotated = { ...entry, targets: [{ ...entry.targets[0], headers: { Authorization: 'Bearer two' } }] };
  assert.deepEqual(await planFor(ctx, [rotated]), ['update web: targets', 'remove old']);
});

test('a mistake names its place in the file', async () => {
  const ctx = storedAs(entry);
  await assert.rejects(planFor(ctx, [entry, { ...entry, name: 'b', targets: [{ type: 'file' }, { type: 'haproxy', socket: '/run/h.sock' }] }]), /^AppError: managed\[1\]\.targets\[0\]: name at least one of/);
  await assert.rejects(planFor(ctx, [{ ...entry, targets: [{ type: 'haproxy', socket: '/run/h.sock' }] }]), /managed\[0\]\.targets\[0\]\.crtPath: required/);
  await assert.rejects(planFor(ctx, [{ ...entry, issuer: 'nope' }]), /managed\[0\]\.issuer: no issuer nope/);
  await assert.rejects(planFor(ctx, [{ ...entry, names: ['bad_name'] }]), /managed\[0\]: "bad_name" is neither a DNS name nor an IP address/);
  await assert.rejects(planFor(ctx, [{ ...entry, keyType: 'rsa-1024' }]), /managed\[0\]\.keyType: /);
  await assert.rejects(planFor(ctx, [entry, entry]), /managed\[1\]\.name: managed certificate web is declared twice/);
});

test('each object applied is one tick of progress, counted against every change to make', async () => {
  const ctx = storedAs(entry);
  const removed: string[] = [];
  const lifecycle = Object.assign(Object.create(ctx.lifecycle) as LifecycleStore, {
    deleteManaged: (name: string) => Promise.resolve(removed.push(name) > 0),
    audit: () => Promise.resolve(),
  });
  const ticks: string[] = [];
  const result = await applyDocument({ ...ctx, lifecycle, transaction: (fn) => fn({ lifecycle, probes: ctx.probes }) }, { managed: [] }, {
    dryRun: false, prune: true, onProgress: (object, done, total) => ticks.push(`${object} ${done}/${total}`),
  });
  assert.equal(result.removed, 2);
  assert.deepEqual(ticks, ['managed old 1/2', 'managed web 2/2']);
});
