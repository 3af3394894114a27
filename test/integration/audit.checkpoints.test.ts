// Signed checkpoints of the audit chains, on every dialect. Someone with write access to the
// database can rebuild a chain (every hash and the head recomputed) and the hash chain alone
// cannot tell; a checkpoint, signed with a key wrapped by the KEK, can: a rewrite or deletion of
// records a checkpoint signed, a forged or foreign-key checkpoint, are each reported; a truncation
// after the last checkpoint shows as the records no checkpoint signed. Checkpoints survive a KEK
// rotation, reach a webhook sink verifiable offline, a running node signs on start, on its timer
// and on stop, and a CLI command signs what it recorded before it exits, with or without a server.
import * as assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { genesisHash, hashRecord, type AuditRecord } from '../../src/audit/chain.ts';
import { checkpointMessage, writeCheckpoint } from '../../src/audit/checkpoint.ts';
import { checkpointSigner, storedCheckpointKey, type CheckpointKey, type CheckpointSigner } from '../../src/audit/checkpoint-key.ts';
import { AuditForwarder } from '../../src/audit/forwarder.ts';
import { AuditLog } from '../../src/audit/log.ts';
import { createSinks } from '../../src/audit/sinks.ts';
import { verifyChains, type ChainReport } from '../../src/audit/verify.ts';
import type { AuditRecordJson } from '../../src/audit/wire.ts';
import type { Keyring } from '../../src/kek/envelope.ts';
import { loadKekFile } from '../../src/kek/kek.ts';
import { openKek } from '../../src/kek/open.ts';
import { rotateKek, sealedByKek } from '../../src/kek/rotate.ts';
import { SqlAuditOutboxStore } from '../../src/store/audit-outbox-store.ts';
import { fromRecord, RECORD_COLS, toRecord, type AuditRow } from '../../src/store/audit-rows.ts';
import { SqlAuditChainStore, SqlAuditReadStore, SqlCheckpointKeyStore } from '../../src/store/audit-store.ts';
import type { Database } from '../../src/store/db.ts';
import { SqlKekRotationStore, SqlKekSettingsStore } from '../../src/store/kek-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { SqliteDatabase } from '../../src/store/sqlite.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl, startNode } from '../support/node.ts';
import { runUnchecked } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

/** Runs `certainty` from the sources in a child process, so its exit code is real. */
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `const { run } = await import(${JSON.stringify(join(REPO_ROOT, 'src/cli/index.ts'))}); process.exitCode = await run(['node', 'certainty', ...process.argv.slice(1)]);`;
  return runUnchecked(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { env: { ...env, CERTAINTY_LOG_LEVEL: 'silent' }, timeoutMs: 60_000, cwd: REPO_ROOT });
}

async function records(db: Database, nodeId: string): Promise<AuditRecord[]> {
  return (await db.query<AuditRow>(`SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? ORDER BY seq`, [nodeId])).map(toRecord);
}

/** What an attacker with database write access does: replaces a chain with `recs`, renumbered, re-linked and re-hashed, and moves its head to match. */
async function rebuild(db: Database, nodeId: string, recs: AuditRecord[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec('DELETE FROM audit_records WHERE node_id = ?', [nodeId]);
    let prevHash = genesisHash(nodeId);
    for (const [i, r] of recs.entries()) {
      const unsigned = { ...r, seq: i + 1, prevHash };
      prevHash = hashRecord(unsigned);
      await tx.exec(`INSERT INTO audit_records (${RECORD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fromRecord({ ...unsigned, hash: prevHash }));
    }
    await tx.exec('UPDATE audit_heads SET seq = ?, hash = ? WHERE node_id = ?', [recs.length, prevHash, nodeId]);
  });
}

const chain = (report: { chains: ChainReport[] }, nodeId: string): ChainReport => {
  const found = report.chains.find((c) => c.nodeId === nodeId);
  assert.ok(found, `a report for ${nodeId}`);
  return found;
};
const kinds = (c: ChainReport): string[] => c.problems.map((p) => `${p.kind}@${p.seq}`);

/** The audit and KEK stores over one database, as src/serve.ts builds them. */
function storesOf(db: Database) {
  return {
    chain: new SqlAuditChainStore(db), read: new SqlAuditReadStore(db), outbox: new SqlAuditOutboxStore(db), keys: new SqlCheckpointKeyStore(db),
    kek: new SqlKekSettingsStore(db), rotation: new SqlKekRotationStore(db),
  };
}

for (const dialect of dialects()) {
  describe(`audit checkpoints (${dialect})`, { timeout: 180_000 }, () => {
    let dir: string;
    let db: Database;
    let stores: ReturnType<typeof storesOf>;
    let kek: Keyring;
    let signer: CheckpointSigner;
    let key: CheckpointKey;
    let env: Record<string, string>;
    /** The webhook bodies the sink received, one per line, as a receiver would log them. */
    const sinkLog: string[] = [];
    /** Appends `n` events to `nodeId`'s chain, then, unless `sign` is false, a checkpoint. */
    const grow = async (nodeId: string, n: number, signHead = true): Promise<void> => {
      const log = new AuditLog({ chain: stores.chain, nodeId });
      for (let i = 0; i < n; i += 1) await log.record(undefined, { actor: 'cli:op', action: 'eab.created', object: `eab:k${i}`, outcome: 'success', details: { label: `team ${i}` } });
      if (signHead) assert.ok(await writeCheckpoint(stores.chain, nodeId, signer), 'a checkpoint was written');
    };

    before(async () => {
      dir = await makeTempDir('audit-checkpoints');
      const url = await freshDatabaseUrl(dialect);
      db = url === undefined ? new SqliteDatabase(join(dir, 'certainty.db')) : new PostgresDatabase(url, { poolSize: 3, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 });
      env = { CERTAINTY_DATA_DIR: dir, ...(url === undefined ? {} : { CERTAINTY_DATABASE_URL: url }) };
      await migrate(db);
      stores = storesOf(db);
      kek = await openKek(stores.kek, {}, dir, true);
      signer = await checkpointSigner(stores.keys, kek);
      key = (await storedCheckpointKey(stores.keys, kek)) as CheckpointKey;
      assert.equal((await checkpointSigner(stores.keys, kek)).keyId, key.keyId, 'one key, created on first use');
    });
    after(async () => {
      await db?.close();
      await removeDir(dir);
    });

    test('a checkpoint is written only when the head moved', async () => {
      await grow('node-idle', 3);
      assert.equal(await writeCheckpoint(stores.chain, 'node-idle', signer), undefined);
      assert.equal(await writeCheckpoint(stores.chain, 'node-empty', signer), undefined);
      const report = chain(await verifyChains(stores.read, { key }), 'node-idle');
      assert.deepEqual([report.intact, report.records, report.checkpoint?.seq, report.checkpoint?.recordSeq, report.unsigned], [true, 4, 3, 4, 0]);
    });

    test('a rewrite with every hash and the head recomputed is reported as rewritten after the checkpoint that signed it', async () => {
      await grow('node-plain', 10, false);
      await grow('node-signed', 5);
      await grow('node-signed', 5);
      await grow('node-signed', 3, false);
      for (const n of ['node-plain', 'node-signed']) {
        const recs = await records(db, n);
        await rebuild(db, n, recs.map((r) => (r.seq === 8 ? { ...r, actor: 'account:someone-else' } : r)));
      }
      const report = await verifyChains(stores.read, { key });
      assert.equal(chain(report, 'node-plain').intact, true, 'the hash chain alone cannot see it: this is the gap checkpoints close');
      const signed = chain(report, 'node-signed');
      assert.deepEqual(kinds(signed), ['rewritten@11']);
      assert.match(signed.problems[0]?.message ?? '', /record 11 is not the record checkpoint 12 signed at \S+Z: the chain was rewritten after that checkpoint, within records 6–11/);
      const r = await cli(env, 'audit', 'verify', '--node', 'node-signed');
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /node-signed {2}15 records {2}head 15 {2}BROKEN {2}signed up to 11 at \S+, 3 unsigned since\n {2}seq 11 +rewritten /);
      assert.match(r.stdout, new RegExp(`Checkpoint key ${key.keyId}\\.`));
    });

    test('records deleted before a checkpoint are reported; a cut after the last one leaves only unsigned records to show', async () => {
      await grow('node-hole', 10);
      await grow('node-hole', 2, false);
      await rebuild(db, 'node-hole', (await records(db, 'node-hole')).filter((r) => r.seq !== 3));
      await grow('node-cut', 5);
      await grow('node-cut', 5);
      await grow('node-cut', 3, false);
      await rebuild(db, 'node-cut', (await records(db, 'node-cut')).slice(0, 8));
      const report = await verifyChains(stores.read, { key });
      assert.deepEqual(kinds(chain(report, 'node-hole')), ['rewritten@10']);
      const cut = chain(report, 'node-cut');
      assert.deepEqual([cut.intact, cut.checkpoint?.seq, cut.unsigned], [true, 5, 2], 'the last checkpoint left is the one before the cut; what follows it is unsigned');
    });

    test('a forged checkpoint is reported: another key, a bad signature, or no key known', async () => {
      await grow('node-foreign', 4, false);
      await grow('node-badsig', 4);
      const theirs = generateKeyPairSync('ed25519');
      const keyId = createHash('sha256').update(theirs.publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
      const foreign = await records(db, 'node-foreign');
      const last = foreign[3] as AuditRecord;
      const forged = {
        ...last, seq: 5, action: 'audit.checkpoint' as const, actor: 'node:node-foreign', object: 'node:node-foreign',
        details: JSON.stringify({ hash: last.hash, keyId, seq: 4, signature: sign(null, checkpointMessage('node-foreign', 4, last.hash, last.time), theirs.privateKey).toString('base64url') }),
      };
      await rebuild(db, 'node-foreign', [...foreign, forged]);
      const badsig = await records(db, 'node-badsig');
      const cp = badsig[4] as AuditRecord;
      const details = { ...JSON.parse(cp.details), signature: randomBytes(64).toString('base64url') };
      await rebuild(db, 'node-badsig', [...badsig.slice(0, 4), { ...cp, details: JSON.stringify(details) }]);
      const report = await verifyChains(stores.read, { key });
      assert.deepEqual(kinds(chain(report, 'node-foreign')), ['foreign-key@5']);
      assert.match(chain(report, 'node-foreign').problems[0]?.message ?? '', /not by this cluster's key .* \(forged\)/);
      assert.deepEqual(kinds(chain(report, 'node-badsig')), ['bad-signature@5']);
      const keyless = chain(await verifyChains(stores.read, { key: undefined }), 'node-idle');
      assert.deepEqual(kinds(keyless), ['foreign-key@4']);
      assert.match(keyless.problems[0]?.message ?? '', /no checkpoint key is known/);
    });

    test('a checkpoint reaches a webhook sink and verifies offline from the forwarded JSON and the printed public key', async () => {
      const received: AuditRecordJson[] = [];
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          sinkLog.push(Buffer.concat(chunks).toString('utf8'));
          received.push(...(JSON.parse(sinkLog[sinkLog.length - 1] as string) as { records: AuditRecordJson[] }).records);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const { port } = server.address() as { port: number };
      const forwarder = new AuditForwarder({
        outbox: stores.outbox, sinks: createSinks([{ type: 'webhook', url: `http://127.0.0.1:${port}/audit` }], 2000), log: pino({ level: 'silent' }),
        options: { owner: 'node-sink', batchSize: 50, pollMs: 50, timeoutMs: 2000, retryMinMs: 100, retryMaxMs: 400 },
      });
      try {
        await grow('node-sink', 3);
        forwarder.start();
        const cp = await waitFor(async () => received.find((r) => r.nodeId === 'node-sink' && r.action === 'audit.checkpoint'), { what: 'the checkpoint at the sink', timeoutMs: 20_000 });
        const printed = await cli(env, 'audit', 'checkpoint-key', '--json');
        assert.equal(printed.code, 0, printed.stderr);
        const { keyId, publicKeyPem } = JSON.parse(printed.stdout) as { keyId: string; publicKeyPem: string };
        const d = cp.details as { seq: number; hash: string; keyId: string; signature: string };
        assert.deepEqual([cp.seq, d.seq, d.keyId, keyId], [4, 3, key.keyId, key.keyId]);
        // docs/audit.md: the signed bytes, rebuilt from the forwarded record alone.
        const message = Buffer.from(JSON.stringify(['certainty-audit-checkpoint-v1', cp.nodeId, d.seq, d.hash, cp.timeMs]));
        assert.equal(verify(null, message, createPublicKey(publicKeyPem), Buffer.from(d.signature, 'base64url')), true);
        assert.equal(received.find((r) => r.nodeId === 'node-sink' && r.seq === 3)?.hash, d.hash, 'the sink holds the record the checkpoint signed');
      } finally {
        await forwarder.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    test('a cut after the last checkpoint in the database is reported against the checkpoint a sink holds', async () => {
      const file = join(dir, 'sink-copy.jsonl');
      writeFileSync(file, `${sinkLog.join('\n')}\n`);
      const before = await records(db, 'node-sink');
      await rebuild(db, 'node-sink', before.slice(0, 2));
      const alone = await cli(env, 'audit', 'verify', '--node', 'node-sink');
      assert.equal(alone.code, 0, 'the database alone cannot tell: its last checkpoint went with the tail');
      assert.match(alone.stdout, /node-sink {2}2 records {2}head 2 {2}intact {2}no checkpoint, 2 unsigned since/);
      assert.match(alone.stdout, /A chain cut back past its last checkpoint still looks intact here: only a sink's copy can show it \(--sink-copy FILE\)\./);
      const cut = await cli(env, 'audit', 'verify', '--node', 'node-sink', '--sink-copy', file);
      assert.equal(cut.code, 1, cut.stdout);
      assert.match(cut.stdout, /seq 3 +truncated +the sink's copy holds checkpoint 4, signed at \S+ up to record 3, but the chain ends at record 2: it was cut after that checkpoint/);
      // The sink also received the forged checkpoints of the test above: they are ignored, and counted.
      assert.match(cut.stdout, /Sink copy: the latest signed checkpoint of \d+ chains checked against the database \(ignored: 2 checkpoints that do not verify under the key, 0 lines without a record\)\./);
      await rebuild(db, 'node-sink', before.slice(0, 3).map((r) => (r.seq === 2 ? { ...r, object: 'eab:planted' } : r)));
      const json = JSON.parse((await cli(env, 'audit', 'verify', '--node', 'node-sink', '--sink-copy', file, '--json')).stdout) as { chains: ChainReport[] };
      assert.deepEqual(kinds(chain(json, 'node-sink')), ['rewritten@3']);
    });

    test('kek rotate re-wraps the checkpoint key: the same key signs and verifies under the new KEK', async () => {
      const newFile = join(dir, 'new.key');
      await rotateKek(stores.rotation, kek, loadKekFile(newFile, true), { batchSize: 2 });
      const rotated = await openKek(stores.kek, { file: newFile }, dir, false);
      assert.deepEqual(Object.keys(await sealedByKek(stores.rotation)), [rotated.current.id], 'nothing left under the old KEK');
      assert.equal((await storedCheckpointKey(stores.keys, rotated))?.keyId, key.keyId);
      await grow('node-idle', 2, false);
      assert.ok(await writeCheckpoint(stores.chain, 'node-idle', await checkpointSigner(stores.keys, rotated)));
      const idle = chain(await verifyChains(stores.read, { key }), 'node-idle');
      assert.deepEqual([idle.intact, idle.checkpoint?.seq, idle.unsigned], [true, 6, 0]);
      const r = await cli({ ...env, CERTAINTY_KEK_FILE: newFile }, 'audit', 'verify', '--node', 'node-idle');
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    });

    test('certainty kek rotate run with no server signs its kek.changed record with the key the new KEK opens', async () => {
      const [oldFile, newFile] = [join(dir, 'new.key'), join(dir, 'newer.key')];
      const rotate = await cli({ ...env, CERTAINTY_KEK_FILE: oldFile }, 'kek', 'rotate', '--new-file', newFile);
      assert.equal(rotate.code, 0, rotate.stderr);
      const nodeId = readFileSync(join(dir, 'server_id'), 'utf8').trim();
      const cliChain = chain(await verifyChains(stores.read, { key }), nodeId);
      assert.deepEqual([cliChain.intact, cliChain.records, cliChain.checkpoint?.seq, cliChain.unsigned], [true, 2, 1, 0]);
    });
  });

  test(`a running node signs its head on start, on its timer and after node.stopped (${dialect})`, { timeout: 120_000 }, async () => {
    const databaseUrl = await freshDatabaseUrl(dialect);
    const dataDir = await makeTempDir('audit-checkpoints-node');
    const env = { CERTAINTY_DATA_DIR: dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    const node = await startNode({ databaseUrl, dataDir, set: { 'audit.checkpointIntervalSeconds': '1' } });
    try {
      const list = async (): Promise<AuditRecordJson[]> => JSON.parse((await cli(env, 'audit', 'list', '--json', '--limit', '1000')).stdout) as AuditRecordJson[];
      const first = await list();
      assert.ok(first.some((r) => r.action === 'audit.checkpoint'), `signed at start: ${JSON.stringify(first.map((r) => r.action))}`);
      // The leases the node takes after starting are recorded after that checkpoint; the timer signs them.
      await waitFor(async () => ((await list()).filter((r) => r.action === 'audit.checkpoint').length >= 2 ? true : undefined), { what: 'a second, timed checkpoint', timeoutMs: 20_000 });
      // A CLI command on the node's data directory appends to the node's own chain and signs it, under the same head lock.
      assert.equal((await cli(env, 'eab', 'create', '--label', 'beside-the-server')).code, 0);
    } finally {
      await node.stop();
    }
    const recs = (JSON.parse((await cli(env, 'audit', 'list', '--json', '--limit', '1000')).stdout) as AuditRecordJson[]);
    assert.deepEqual(recs.slice(0, 2).map((r) => r.action), ['audit.checkpoint', 'node.stopped'], 'newest first');
    const r = await cli(env, 'audit', 'verify');
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /intact {2}signed up to \d+ at \S+, 0 unsigned since/);
    await removeDir(dataDir);
  });

  test(`CLI commands run with no server sign what they record: eab create, token create (${dialect})`, { timeout: 120_000 }, async () => {
    const databaseUrl = await freshDatabaseUrl(dialect);
    const dataDir = await makeTempDir('audit-checkpoints-cli');
    const env = { CERTAINTY_DATA_DIR: dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    try {
      // The node only creates the CA; the commands after it run with no server, as on an admin host.
      await (await startNode({ databaseUrl, dataDir })).stop();
      for (const args of [['eab', 'create', '--label', 'admin-host'], ['token', 'create', 'admin-host']]) {
        const run = await cli(env, ...args);
        assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      }
      const recs = JSON.parse((await cli(env, 'audit', 'list', '--json', '--limit', '1000')).stdout) as AuditRecordJson[];
      assert.deepEqual(recs.slice(0, 4).map((r) => r.action), ['audit.checkpoint', 'admin.token-created', 'audit.checkpoint', 'eab.created'], 'newest first');
      const r = await cli(env, 'audit', 'verify');
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /head (\d+) {2}intact {2}signed up to (\d+) at \S+, 0 unsigned since/);
      const [, head, signed] = /head (\d+) .*signed up to (\d+) /.exec(r.stdout) ?? [];
      assert.equal(Number(signed), Number(head) - 1, 'the head is the checkpoint of the record before it');
      assert.match(r.stdout, /All 1 chains are intact\./);
    } finally {
      await removeDir(dataDir);
    }
  });
}
