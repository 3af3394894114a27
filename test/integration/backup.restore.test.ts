// Backup and restore against a real server: a backup taken while ACME orders run holds every
// certificate that existed when it started; it restores into an empty target, which then serves
// and issues. A wrong KEK, a damaged archive and a non-empty target are refused without writing.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AcmeClient, AcmeTransport } from '../../src/acme-client/client.ts';
import { startCertainty, type CertaintyServer } from '../support/certainty.ts';
import { certaintyAt, emptyTarget, targetContents, type Target } from '../support/restore-target.ts';
import { dialects, freshDatabaseUrl, startNode } from '../support/node.ts';
import { startHttp01Responder, type Http01Responder } from '../../src/acme-client/responder.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';
import { startTestDnsServer, type TestDnsServer } from '../../src/lab/dns-server.ts';

async function serials(target: Target): Promise<string[]> {
  const r = await certaintyAt(target, ['cert', 'list', '--limit', '100000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{ serial: string }>).map((c) => c.serial).sort();
}

for (const dialect of dialects()) {
  describe(`backup and restore (${dialect})`, { timeout: 450_000 }, () => {
    let dns: TestDnsServer;
    let responder: Http01Responder;
    let server: CertaintyServer;
    let source: Target;
    let work: string;
    let archive: string;
    let rootPem: string;

    /** An empty target holding `kek` (the source's KEK file unless given). */
    const newTarget = (name: string, kek?: string): Promise<Target> => emptyTarget(work, name, dialect, server.dataDir, kek);

    before(async () => {
      dns = await startTestDnsServer();
      responder = await startHttp01Responder();
      const databaseUrl = await freshDatabaseUrl(dialect);
      server = await startCertainty({ dnsAddress: dns.address, http01Port: responder.port, tlsAlpn01Port: responder.port, ...(databaseUrl === undefined ? {} : { databaseUrl }) });
      source = { dataDir: server.dataDir, databaseUrl };
      rootPem = readFileSync(server.rootPemPath, 'utf8');
      work = await makeTempDir('backup');
      archive = join(work, 'backup.certainty');
    });
    after(async () => {
      await server?.dispose();
      await responder?.close();
      await dns?.close();
      if (work !== undefined) await removeDir(work);
    });

    test('a backup under ACME load restores every certificate that existed when it started, and the restore issues', async () => {
      const transport = new AcmeTransport({ directoryUrl: server.directoryUrl, ca: rootPem });
      const issue = async (client: AcmeClient, name: string): Promise<void> => {
        dns.set(name, { A: ['127.0.0.1'] });
        await client.issue({ identifiers: [name], challengeType: 'http-01', solver: responder });
      };
      const warm = new AcmeClient(transport, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
      await warm.createAccount();
      for (let i = 0; i < 2; i += 1) await issue(warm, `warm-${i}.load.test`);

      let stop = false;
      let completed = 0;
      const errors: unknown[] = [];
      const worker = async (w: number): Promise<void> => {
        const client = new AcmeClient(transport, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
        await client.createAccount();
        for (let i = 0; i < 40 && !stop; i += 1) {
          await issue(client, `w${w}-${i}.load.test`).then(() => void (completed += 1), (err: unknown) => void errors.push(err));
        }
      };
      const load = Promise.all([0, 1, 2, 3].map(worker));
      await waitFor(async () => (completed >= 4 ? true : undefined), { what: 'the ACME load to get going', timeoutMs: 60_000 });
      const atStart = await serials(source);
      const doneBefore = completed;
      const backup = await certaintyAt(source, ['backup', '--out', archive, '--json']);
      const doneDuring = completed - doneBefore;
      stop = true;
      await load;
      transport.close();
      assert.equal(backup.code, 0, backup.stderr);
      assert.deepEqual(errors, []);
      const result = JSON.parse(backup.stdout);
      assert.equal(result.manifest.dialect, dialect);
      assert.match(result.kekId, /^[0-9a-f]{16}$/);
      assert.equal(typeof result.manifest.kek.check, 'string');
      const atEnd = await serials(source);
      process.stderr.write(`# ${dialect}: backup ${result.bytes} bytes in ${result.ms} ms (${result.manifest.tables.certificates} certificates; ${doneDuring} orders completed while it ran)\n`);

      const kek = readFileSync(join(server.dataDir, 'kek.key'), 'utf8').trim();
      const unpacked = gunzipSync(readFileSync(archive));
      assert.ok(!unpacked.includes(Buffer.from(kek)) && !unpacked.includes(Buffer.from(kek, 'base64')), 'the archive must not contain the KEK');

      const target = await newTarget('restored');
      const restore = await certaintyAt(target, ['restore', '--from', archive, '--json']);
      assert.equal(restore.code, 0, restore.stderr);
      const restored = await serials(target);
      for (const serial of atStart) assert.ok(restored.includes(serial), `certificate ${serial} existed when the backup started`);
      for (const serial of restored) assert.ok(atEnd.includes(serial), `certificate ${serial} was issued by the source`);
      assert.equal(restored.length, result.manifest.tables.certificates);

      const node = await startNode({
        dataDir: target.dataDir, databaseUrl: target.databaseUrl,
        set: { 'validation.dnsServer': dns.address, 'validation.http01Port': String(responder.port) },
      });
      try {
        assert.equal(node.rootPem, rootPem, 'the restored node serves the same root');
        const t = new AcmeTransport({ directoryUrl: node.directoryUrl, ca: node.rootPem });
        const client = new AcmeClient(t, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
        await client.createAccount();
        dns.set('after-restore.load.test', { A: ['127.0.0.1'] });
        const issued = await client.issue({ identifiers: ['after-restore.load.test'], challengeType: 'http-01', solver: responder });
        assert.match(issued.certificatePem, /BEGIN CERTIFICATE/);
        t.close();
      } finally {
        await node.stop();
      }
      const again = await certaintyAt(source, ['backup', '--out', archive]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^certainty: .*already exists; choose another --out or pass --force\n$/);
    });

    test('a restore with the wrong KEK fails cleanly and writes nothing', async () => {
      const target = await newTarget('wrong-kek', `${randomBytes(32).toString('base64')}\n`);
      const before = await targetContents(target);
      const r = await certaintyAt(target, ['restore', '--from', archive]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^certainty: the KEK file .*kek\.key does not open this backup: .*Nothing was written/);
      assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, 'one line');
      assert.deepEqual(await targetContents(target), before);
      const passphrase = await certaintyAt(target, ['restore', '--from', archive], { CERTAINTY_KEK_PASSPHRASE: 'not the right passphrase' });
      assert.equal(passphrase.code, 1);
      assert.match(passphrase.stderr, /^certainty: kek\.passphrase .* does not open this backup/);
      assert.deepEqual(await targetContents(target), before);
    });

    test('a damaged archive is rejected by its checksums', async () => {
      const target = await newTarget('damaged');
      const before = await targetContents(target);
      const bytes = readFileSync(archive);
      const flipped = Buffer.from(bytes);
      const middle = Math.floor(bytes.length / 2);
      flipped[middle] = (flipped[middle] ?? 0) ^ 0xff;
      writeFileSync(join(work, 'flipped.certainty'), flipped);
      const tar = gunzipSync(bytes);
      const inPayload = tar.length - 1024 - 700; // before the end blocks and any padding: the payload, whose SHA-256 the manifest holds
      tar[inPayload] = (tar[inPayload] ?? 0) ^ 0xff;
      writeFileSync(join(work, 'payload.certainty'), gzipSync(tar));
      writeFileSync(join(work, 'truncated.certainty'), bytes.subarray(0, bytes.length - 100));
      const cases: Array<[string, RegExp]> = [
        ['flipped.certainty', /is damaged or not a Certainty backup/],
        ['payload.certainty', /is damaged: the payload's SHA-256 checksum does not match its manifest/],
        ['truncated.certainty', /is damaged or not a Certainty backup/],
      ];
      for (const [name, message] of cases) {
        const r = await certaintyAt(target, ['restore', '--from', join(work, name)]);
        assert.equal(r.code, 1, name);
        assert.match(r.stderr, message, name);
        assert.deepEqual(await targetContents(target), before, name);
      }
    });

    test('a restore into a target that is not empty is refused', async () => {
      const count = (await serials(source)).length;
      const r = await certaintyAt(source, ['restore', '--from', archive]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^certainty: the target database \(.*\) is not empty: .*restore only into an empty one/);
      assert.equal((await serials(source)).length, count);
    });
  });
}
