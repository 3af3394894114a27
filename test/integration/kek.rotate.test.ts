// KEK rotation online: nodes given both KEKs keep issuing while `certainty kek rotate` runs, a
// rotation killed half-way resumes, and a node left with only the old KEK reports not ready.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { EabKeyService } from '../../src/admin/eab.ts';
import { SqlEabKeyStore } from '../../src/store/admin-store.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openDb } from '../../src/config/database.ts';
import { openDatabaseKek } from '../../src/context.ts';
import { AcmeClient, AcmeTransport } from '../../src/acme-client/client.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl, startNode } from '../support/node.ts';
import { startHttp01Responder } from '../../src/acme-client/responder.ts';
import { runUnchecked } from '../support/run.ts';
import { makeTempDir } from '../support/tmp.ts';

const BIN = join(REPO_ROOT, 'bin', 'certainty.js');

/** Runs `kek rotate` and SIGKILLs it once it reports its first batch. */
function rotateAndKill(env: NodeJS.ProcessEnv, newFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'kek', 'rotate', '--new-file', newFile, '--batch-size', '5', '--pause-ms', '300'], { env: { ...process.env, ...env } });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('re-wrapped')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

for (const dialect of dialects()) {
  test(`KEK rotation is online and resumable (${dialect})`, { timeout: 300_000 }, async () => {
    const databaseUrl = await freshDatabaseUrl(dialect);
    const dir = await makeTempDir('kek-rotate');
    const dataDir = join(dir, 'data');
    const oldKek = join(dir, 'old.key');
    const newKek = join(dir, 'new.key');
    const dbEnv = databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl };
    const responder = await startHttp01Responder();
    // 1. A node on the old KEK, with secrets to rotate: the CA keys, the nonce key, 40 EAB keys.
    const first = await startNode({ databaseUrl, dataDir, set: { 'kek.file': oldKek } });
    const config = loadConfig({ env: { CERTAINTY_DATA_DIR: dataDir, CERTAINTY_KEK_FILE: oldKek, ...dbEnv } });
    const db = openDb(config);
    const eab = new EabKeyService({ store: new SqlEabKeyStore(db), kek: await openDatabaseKek(db, config), now: Date.now, actor: 'cli:test' });
    const keys = [];
    for (let i = 0; i < 40; i++) keys.push(await eab.create(`team-${i}`));
    await db.close();
    await first.stop();
    // 2. Nodes are given the new KEK, keeping the old one as previous: one such node serves.
    const both = await startNode({ databaseUrl, dataDir, set: { 'kek.file': newKek, 'kek.previousFile': oldKek, 'validation.http01Port': String(responder.port) } });
    // A second node still on the old KEK only (for SQLite, on the same database file).
    const stale = await startNode({ databaseUrl: databaseUrl ?? `sqlite:${join(dataDir, 'certainty.db')}`, set: { 'kek.file': oldKek } });
    const env = { CERTAINTY_DATA_DIR: dataDir, CERTAINTY_KEK_FILE: newKek, CERTAINTY_KEK_PREVIOUS_FILE: oldKek, ...dbEnv };
    const client = new AcmeClient(new AcmeTransport({ directoryUrl: both.directoryUrl, ca: both.rootPem }), undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
    try {
      await client.createAccount();
      // 3. Rotate, killed after its first batch; the node issues meanwhile.
      const out = await rotateAndKill(env, newKek);
      assert.match(out, /re-wrapped/);
      const status = await runUnchecked(process.execPath, [BIN, 'kek', 'status', '--json'], { env });
      assert.equal(status.code, 0, status.stderr);
      const mid = JSON.parse(status.stdout);
      assert.ok(Object.keys(mid.sealedByKek).length === 2, `half-way, secrets sit under both KEKs: ${JSON.stringify(mid)}`);
      const during = await client.issue({ identifiers: [{ type: 'ip', value: '127.0.0.1' }], challengeType: 'http-01', solver: responder });
      assert.match(during.certificatePem, /BEGIN CERTIFICATE/);
      // 4. Rerun to completion: everything under the new KEK, every secret still opens.
      const done = await runUnchecked(process.execPath, [BIN, 'kek', 'rotate', '--new-file', newKek, '--json'], { env });
      assert.equal(done.code, 0, done.stderr);
      const after = JSON.parse((await runUnchecked(process.execPath, [BIN, 'kek', 'status', '--json'], { env })).stdout);
      assert.deepEqual(Object.keys(after.sealedByKek), [after.current]);
      const onlyNew = loadConfig({ env: { CERTAINTY_DATA_DIR: dataDir, CERTAINTY_KEK_FILE: newKek, ...dbEnv } });
      const db2 = openDb(onlyNew);
      const store = new EabKeyService({ store: new SqlEabKeyStore(db2), kek: await openDatabaseKek(db2, onlyNew), now: Date.now, actor: 'cli:test' });
      for (const k of keys) assert.equal((await store.hmacKey(k.kid))?.toString('base64url'), k.hmacKey);
      await db2.close();
      // 5. The node that only has the old KEK now reports not ready, and saying why.
      const ready = await new AcmeTransport({ directoryUrl: stale.directoryUrl, ca: stale.rootPem }).request('GET', `${stale.baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.text, /KEK cannot unwrap/);
      const refused = await runUnchecked(process.execPath, [BIN, 'ca', 'export'], { env: { CERTAINTY_DATA_DIR: dataDir, CERTAINTY_KEK_FILE: oldKek, ...dbEnv } });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not the key this database/);
    } finally {
      client.transport.close();
      await both.stop();
      await stale.stop();
      await responder.close();
    }
  });
}
