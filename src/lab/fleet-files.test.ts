import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { leafOptions, testCa, type TestCa } from '../../test/support/issuing-ca.ts';
import { issueCertificate } from '../ca/issue.ts';
import { exportPkcs8, generateKeyPair } from '../ca/keys.ts';
import { derToPem } from '../ca/pem.ts';
import { deployedSerial, pollFiles, type DeployWatch, type FleetCert } from './fleet-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleet-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Material { certPem: string; chainPem: string; keyPem: string; serial: string }

/** A CA that issues a leaf for one DNS name with its own key, as a revision would be. */
async function materialCa(): Promise<{ issue(name: string, names: readonly string[]): Promise<Material> }> {
  const ca: TestCa = await testCa('ecdsa-p256');
  return {
    async issue(_name, names) {
      const pair = await generateKeyPair('ecdsa-p256');
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
      const options = await leafOptions(ca, { subjectPublicKeySpki: spki, dnsNames: [...names], ipAddresses: [] });
      const leaf = await issueCertificate(options);
      return { certPem: leaf.pem, chainPem: ca.intermediate.certPem, keyPem: derToPem(await exportPkcs8(pair.privateKey), 'PRIVATE KEY'), serial: options.serialHex };
    },
  };
}

const cert = (name: string): FleetCert => ({ name, dnsName: `${name}.fleet.test`, fullchainPath: join(dir, `${name}.pem`), keyPath: join(dir, `${name}.key`) });

/** Writes a revision to `c`'s files with an mtime of `second` (the watch tells writes apart by mtime). */
function deploy(c: FleetCert, m: { certPem: string; chainPem: string; keyPem: string }, second: number): void {
  writeFileSync(c.fullchainPath, `${m.certPem}${m.chainPem}`);
  writeFileSync(c.keyPath, m.keyPem);
  for (const p of [c.fullchainPath, c.keyPath]) utimesSync(p, second, second);
}

test('deployedSerial: only a leaf for the name, signed by the chain and matching the key file', async () => {
  const ca = await materialCa();
  const a = cert('a');
  assert.equal(await deployedSerial(a), undefined, 'no files yet');
  const good = await ca.issue('a', ['a.fleet.test']);
  const other = await ca.issue('a', ['a.fleet.test']);
  deploy(a, { ...good, keyPem: other.keyPem }, 1_000);
  assert.equal(await deployedSerial(a), undefined, 'the key does not match the leaf');
  deploy(a, await ca.issue('a', ['b.fleet.test']), 1_001);
  assert.equal(await deployedSerial(a), undefined, 'a leaf for another name');
  deploy(a, good, 1_002);
  assert.equal((await deployedSerial(a))?.toLowerCase().replace(/^0+/, ''), good.serial.replace(/^0+/, ''));
});

test('pollFiles: done when the serial changed; a later write of the same certificate is a duplicate deploy', async () => {
  const ca = await materialCa();
  const [x, y] = [cert('x'), cert('y')];
  const oldX = await ca.issue('x', ['x.fleet.test']);
  deploy(x, oldX, 2_000);
  const before = new Map([['x', (await deployedSerial(x)) as string]]);
  const watch: DeployWatch = { done: new Map(), duplicateDeploys: 0 };
  const stamps = new Map<string, string>();
  const started = new Map([['x', Date.now()], ['y', Date.now()]]);
  await pollFiles([x, y], before, started, stamps, watch);
  assert.equal(watch.done.size, 0, 'x still holds its old certificate, y has no files');
  const newX = await ca.issue('x', ['x.fleet.test']);
  deploy(x, newX, 2_001);
  deploy(y, await ca.issue('y', ['y.fleet.test']), 2_001);
  await pollFiles([x, y], before, started, stamps, watch);
  assert.deepEqual([...watch.done.keys()].sort(), ['x', 'y']);
  await pollFiles([x, y], before, started, stamps, watch);
  assert.equal(watch.duplicateDeploys, 0, 'unchanged files are not read again');
  deploy(x, newX, 2_002);
  await pollFiles([x, y], before, started, stamps, watch);
  assert.equal(watch.duplicateDeploys, 1);
});

test('pollFiles: a certificate whose clock has not started is not counted', async () => {
  const ca = await materialCa();
  const z = cert('z');
  deploy(z, await ca.issue('z', ['z.fleet.test']), 3_000);
  const watch: DeployWatch = { done: new Map(), duplicateDeploys: 0 };
  await pollFiles([z], new Map(), new Map(), new Map(), watch);
  assert.equal(watch.done.size, 0);
});
