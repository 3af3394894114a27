import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Keyring } from '../kek/envelope.ts';
import { LocalKek } from '../kek/kek.ts';
import { parseProbe } from '../lifecycle/probe/probes.ts';
import type { ProbeEndpoint, ProbeStore } from '../lifecycle/probe/store.ts';
import type { LifecycleStore } from '../lifecycle/store.ts';
import type { ApplyContext } from './apply-plan.ts';
import { probeApplier } from './apply-probes.ts';

const kek = new Keyring(new LocalKek(randomBytes(32), 'test'));
const entry = { name: 'web', host: '10.0.0.7', port: 443, servername: 'www.example', interval: '15m' };

/** A store holding `entry` (as `probe add` stored it, then probed) and `old`. */
function storedAs(input: Record<string, unknown>): ApplyContext {
  const web: ProbeEndpoint = { ...parseProbe(input, 0), version: 4, nextProbeAt: 900_000 };
  const old: ProbeEndpoint = { ...web, name: 'old' };
  const probes = {
    probe: (name: string) => Promise.resolve(name === web.name ? web : undefined),
    probes: () => Promise.resolve([old, web]),
  } as unknown as ProbeStore;
  return { lifecycle: {} as LifecycleStore, probes, kek, now: () => 0, actor: 'cli:test' };
}

const planFor = async (ctx: ApplyContext, probes: unknown[]) =>
  (await probeApplier.plan({ probes }, ctx)).map((c) => `${c.op} ${c.name}${c.fields.length > 0 ? `: ${c.fields.join(', ')}` : ''}`);

test('the same declaration is no change; another is named field by field, as the file names them; what the file leaves out is a removal', async () => {
  const ctx = storedAs(entry);
  assert.deepEqual(await planFor(ctx, [entry]), ['remove old']);
  assert.deepEqual(await planFor(ctx, [{ ...entry, interval: '900s' }]), ['remove old'], 'an interval is compared as a duration');
  assert.deepEqual(await planFor(ctx, [{ ...entry, port: 8443, interval: '1h', unreachableAfter: 3 }]), ['update web: interval, port, unreachableAfter', 'remove old']);
  assert.deepEqual(await planFor(ctx, [{ ...entry, name: 'api' }]), ['create api', 'remove old', 'remove web']);
});

test('a mistake names its place in the file', async () => {
  const ctx = storedAs(entry);
  await assert.rejects(planFor(ctx, [entry, { name: 'b' }]), /^AppError: probes\[1\]\.host: required/);
  await assert.rejects(planFor(ctx, [{ ...entry, port: 70_000 }]), /probes\[0\]\.port: /);
  await assert.rejects(planFor(ctx, [{ ...entry, interval: '1s' }]), /probes\[0\]\.interval: 1s is shorter than 5s/);
  await assert.rejects(planFor(ctx, [{ ...entry, trust: 'not a pem' }]), /probes\[0\]\.trust: the trust bundle must hold one or more PEM certificates/);
  await assert.rejects(planFor(ctx, [{ ...entry, trustPem: 'x' }]), /probes\[0\]\.trustPem: give the bundle as trust/);
  await assert.rejects(planFor(ctx, [{ ...entry, expectedManaged: 'Bad Name' }]), /probes\[0\]\.expectedManaged: managed certificate name "Bad Name" must be/);
  await assert.rejects(planFor(ctx, [{ ...entry, colour: 'red' }]), /probes\[0\]: Unrecognized key/);
  await assert.rejects(planFor(ctx, [entry, entry]), /probes\[1\]\.name: probe web is declared twice/);
});
